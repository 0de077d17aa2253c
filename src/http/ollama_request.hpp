// Ollama request bodies (docs/api.md of the ollama repository) → what weft generates.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "http/openai_request.hpp"
#include "weft/types.hpp"

namespace weft::http {

struct OllamaChatRequest {
  GenerationRequest generation;
  std::string model;
  bool stream = true;
  std::optional<bool> think;  // unset: reasoning is returned in `thinking` when the model writes it
  OutputFormat format;
  bool has_tools = false;
};

struct OllamaGenerateRequest {
  GenerationRequest generation;
  std::string model;
  std::string prompt;
  bool stream = true;
  std::optional<bool> think;
  OutputFormat format;
  std::vector<int32_t> context;  // token ids of an earlier exchange, continued
};

struct OllamaEmbedRequest {
  std::string model;
  std::vector<std::string> inputs;
};

// Throw ApiException (400 naming the field) for anything malformed.
OllamaChatRequest parse_ollama_chat_request(const nlohmann::json& body);
OllamaGenerateRequest parse_ollama_generate_request(const nlohmann::json& body);
// /api/embed (input: string or strings) and the legacy /api/embeddings (prompt).
OllamaEmbedRequest parse_ollama_embed_request(const nlohmann::json& body, bool legacy);
// "model", or the older "name".
std::string ollama_model_field(const nlohmann::json& body);

// `options` → GenerationOptions (num_predict, temperature, top_k, top_p, min_p, seed, stop,
// repeat_penalty, presence/frequency_penalty; num_ctx and the rest accepted, unused).
void read_ollama_options(const nlohmann::json& body, GenerationOptions& options);
// `format`: "json", a JSON Schema object, or absent.
OutputFormat read_ollama_format(const nlohmann::json& body);

}  // namespace weft::http
