// OpenAI request bodies (platform.openai.com API reference) → what weft generates.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "weft/types.hpp"

namespace weft::http {

struct ToolChoice {
  enum class Kind { automatic, none, required, named };
  Kind kind = Kind::automatic;
  std::string name;  // Kind::named
};

// What a response_format or an Ollama `format` asks the output to be.
struct OutputFormat {
  enum class Kind { text, json_object, json_schema };
  Kind kind = Kind::text;
  // json_schema; ordered, since the grammar writes object members in the schema's order.
  nlohmann::ordered_json schema{};
};

struct ChatCompletionRequest {
  GenerationRequest generation;  // messages, tools_json and options
  std::string model;
  uint32_t n = 1;
  bool stream = false;
  bool include_usage = false;
  ToolChoice tool_choice;
  bool has_tools = false;
  OutputFormat format;
};

// A completion prompt: text, or token ids.
using CompletionPrompt = std::variant<std::string, std::vector<int32_t>>;

struct CompletionRequest {
  std::vector<CompletionPrompt> prompts;
  GenerationOptions options;
  std::string model;
  uint32_t n = 1;
  bool stream = false;
  bool include_usage = false;
  bool echo = false;
};

struct EmbeddingsRequest {
  std::string model;
  std::vector<std::string> inputs;
  bool base64 = false;  // encoding_format "base64": little-endian float32, base64
};

// Throw ApiException (400 naming the field) for anything malformed.
ChatCompletionRequest parse_chat_completion_request(const nlohmann::json& body);
CompletionRequest parse_completion_request(const nlohmann::json& body);
EmbeddingsRequest parse_embeddings_request(const nlohmann::json& body);

// One OpenAI message (string content or text parts; tool calls; tool results) as weft's.
Message parse_openai_message(const nlohmann::json& message, size_t index);

// max_tokens when a chat request gives none: OpenAI's is "the rest of the context", but the
// native scheduler reserves KV pages for the worst case, so a bound keeps concurrency.
inline constexpr uint32_t kDefaultChatMaxTokens = 1024;
// OpenAI's documented default for /v1/completions.
inline constexpr uint32_t kDefaultCompletionMaxTokens = 16;

}  // namespace weft::http
