// Generation events → OpenAI response objects: chat.completion(.chunk) and text_completion,
// with usage, finish_reason, logprobs, tool calls and reasoning_content.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "chat/output_decoder.hpp"
#include "weft/events.hpp"

namespace weft::http {

// What every object of one response shares.
struct ResponseIdentity {
  std::string id;
  int64_t created = 0;  // Unix seconds
  std::string model;
};

// "chatcmpl-…", "cmpl-…", "call_…": the prefix and random hex digits.
std::string random_id(const std::string& prefix);
int64_t unix_seconds_now();

// JSON text that never throws: invalid UTF-8 (a token that is half a character) is replaced.
std::string dump_json(const nlohmann::json& value);

// The floats' little-endian bytes in base64 (encoding_format "base64", the official Node
// client's default for embeddings).
std::string base64_floats(const std::vector<float>& values);

nlohmann::json usage_json(const Usage& usage);
// end → stop, length → length, cancelled → stop; "tool_calls" when calls were made.
std::string finish_reason_of(StopReason reason, bool made_tool_calls);
// OpenAI's chat logprobs entry for one token: token, logprob, bytes, top_logprobs.
nlohmann::json chat_logprob_json(const TokenEvent& token);

// One chat choice, streamed or collected. Tool calls are parsed only when the request had
// tools (the decoder's tool-call format says which syntax the model's template uses).
class ChatChoiceEncoder {
 public:
  ChatChoiceEncoder(uint32_t index, chat::DecoderConfig decoder, bool logprobs);

  // The chunk choice for this token, or null when nothing is certain yet.
  nlohmann::json on_token(const TokenEvent& token);
  // The chunk choice with what the decoder still held and the finish_reason.
  nlohmann::json on_done(const DoneEvent& done);
  // The first chunk's choice: {"role":"assistant","content":""}.
  nlohmann::json opening() const;

  // Non-streaming: the whole choice {index, message, logprobs, finish_reason}.
  nlohmann::json collected() const;
  const std::string& finish_reason() const { return finish_reason_; }

 private:
  nlohmann::json delta_choice(const chat::DecodedOutput& output, nlohmann::json logprobs);
  nlohmann::json tool_call_json(const chat::ToolCall& call, size_t call_index, bool delta);

  uint32_t index_;
  chat::OutputDecoder decoder_;
  bool logprobs_;
  chat::DecodedOutput all_;
  std::vector<std::string> call_ids_;
  nlohmann::json logprob_entries_ = nlohmann::json::array();
  std::string finish_reason_;
};

// {"id","object":"chat.completion.chunk","created","model","choices":[choice]} (+ usage null
// when the client asked for a usage chunk, as OpenAI sends it).
nlohmann::json chat_chunk(const ResponseIdentity& identity, nlohmann::json choices,
                          bool include_usage);
// The final usage chunk: choices [] and usage.
nlohmann::json chat_usage_chunk(const ResponseIdentity& identity, const Usage& usage);
nlohmann::json chat_completion(const ResponseIdentity& identity, nlohmann::json choices,
                               const Usage& usage);

// Legacy completions: one choice's text so far and its logprobs.
nlohmann::json completion_logprobs_json(const std::vector<TokenEvent>& tokens, size_t text_offset);
nlohmann::json completion_object(const ResponseIdentity& identity, nlohmann::json choices,
                                 const Usage* usage);

}  // namespace weft::http
