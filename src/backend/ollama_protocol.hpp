// The Ollama REST API's shapes (https://github.com/ollama/ollama/blob/main/docs/api.md) as
// pure functions: request bodies out, streamed NDJSON lines and replies in. No I/O here.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/events.hpp"
#include "weft/types.hpp"

namespace weft::backend::ollama {

// The `options` object: weft's names mapped to Ollama's (max_tokens → num_predict,
// context_length → num_ctx); unset options are left to the server.
nlohmann::json options_json(const GenerationOptions& options, std::optional<uint32_t> num_ctx);

// Body of POST /api/chat (chat turns) or, for a raw prompt, POST /api/generate with raw=true.
nlohmann::json chat_body(const GenerationRequest& request, const std::string& model,
                         std::optional<uint32_t> num_ctx);
nlohmann::json generate_body(const GenerationRequest& request, const std::string& model,
                             std::optional<uint32_t> num_ctx);

// One streamed line of /api/chat or /api/generate.
struct Chunk {
  std::string text;  // message.content (chat) or response (generate)
  bool done = false;
  StopReason reason = StopReason::end;  // meaningful when done
  Usage usage;                          // when done
  Timings timings;                      // when done (first_token is measured by the caller)
  std::optional<std::string> error;     // {"error": "..."} sent in the stream
};

// Throws weft::Error (internal) naming what is wrong when the line is not a valid chunk.
Chunk parse_stream_line(std::string_view line);

// done_reason: "stop" → end, "length" → length; anything else ("load", "unload", absent) → end.
StopReason stop_reason(std::string_view done_reason);

// The server's message from an error body ({"error": "..."}), else the body itself, trimmed.
std::string error_message(const std::string& body);

// Model names from GET /api/tags. Throws weft::Error when the body is not a tags reply.
std::vector<std::string> parse_tags(const std::string& body);

// Model facts from POST /api/show. Throws weft::Error when the body is not a show reply.
ModelInfo parse_show(const std::string& model, const std::string& body);

}  // namespace weft::backend::ollama
