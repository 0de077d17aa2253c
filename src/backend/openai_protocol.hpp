// The OpenAI chat/completions API's shapes, as any OpenAI-compatible server speaks them, as
// pure functions: request bodies out, streamed `data:` payloads and replies in. No I/O here.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/events.hpp"
#include "weft/types.hpp"

namespace weft::backend::openai {

// Body of POST /v1/chat/completions, streaming with usage in the last chunk. Standard fields
// always; top_k, min_p and repetition_penalty (vLLM / llama.cpp server extensions) only when
// set, because strict servers reject fields they do not know.
nlohmann::json chat_body(const GenerationRequest& request, const std::string& model);
// Body of POST /v1/completions for a raw prompt (same options, "prompt" instead of messages).
nlohmann::json completion_body(const GenerationRequest& request, const std::string& model);

// One streamed `data:` payload.
struct Chunk {
  bool done_marker = false;          // the literal "[DONE]"
  std::string text;                  // choices[0].delta.content (chat) or .text (completion)
  std::optional<StopReason> finish;  // choices[0].finish_reason when not null
  std::optional<Usage> usage;        // the usage chunk
  std::optional<std::string> error;  // {"error": {...}} sent in the stream
};

// Throws weft::Error (internal) naming what is wrong when the payload is not a valid chunk.
Chunk parse_stream_data(std::string_view data);

// finish_reason: "stop" → end, "length" → length; "tool_calls", "function_call",
// "content_filter" and anything else → end (the server ended the answer on its own).
StopReason stop_reason(std::string_view finish_reason);

// "message (type: T, code: C)" from {"error":{"message","type","code"}}, or from the
// {"error": "..."} / {"message": "..."} shapes some servers use; else the body, trimmed.
std::string error_message(const std::string& body);

// Model ids from GET /v1/models. Throws weft::Error when the body is not a model list.
std::vector<std::string> parse_models(const std::string& body);

}  // namespace weft::backend::openai
