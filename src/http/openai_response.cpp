#include "http/openai_response.hpp"

#include "protocol/base64.hpp"

#include <chrono>
#include <cstring>
#include <random>

namespace weft::http {

using nlohmann::json;

std::string random_id(const std::string& prefix) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::mt19937_64 generator((static_cast<uint64_t>(device()) << 32) ^ device());
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += kHex[generator() % 16];
  return id;
}

int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string base64_floats(const std::vector<float>& values) {
  return protocol::base64_floats(values);
}

json usage_json(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", usage.cached_prompt_tokens}}}};
}

std::string finish_reason_of(StopReason reason, bool made_tool_calls) {
  if (made_tool_calls) return "tool_calls";
  return reason == StopReason::length ? "length" : "stop";
}

namespace {

json byte_values(const std::string& text) {
  json bytes = json::array();
  for (unsigned char c : text) bytes.push_back(static_cast<int>(c));
  return bytes;
}

json token_entry(const TokenLogprob& token) {
  return {{"token", token.bytes}, {"logprob", token.logprob}, {"bytes", byte_values(token.bytes)}};
}

}  // namespace

json chat_logprob_json(const TokenEvent& token) {
  json entry =
      token.logprob
          ? token_entry(*token.logprob)
          : json{{"token", token.text}, {"logprob", 0.0}, {"bytes", byte_values(token.text)}};
  json top = json::array();
  for (const auto& alternative : token.top_logprobs) top.push_back(token_entry(alternative));
  entry["top_logprobs"] = std::move(top);
  return entry;
}

ChatChoiceEncoder::ChatChoiceEncoder(uint32_t index, chat::DecoderConfig decoder, bool logprobs)
    : index_(index), decoder_(std::move(decoder)), logprobs_(logprobs) {}

json ChatChoiceEncoder::opening() const {
  return {{"index", index_},
          {"delta", {{"role", "assistant"}, {"content", ""}}},
          {"logprobs", nullptr},
          {"finish_reason", nullptr}};
}

json ChatChoiceEncoder::tool_call_json(const chat::ToolCall& call, size_t call_index, bool delta) {
  while (call_ids_.size() <= call_index) {
    call_ids_.push_back(call.id.empty() ? random_id("call_") : call.id);
  }
  // OpenAI sends arguments as JSON text; a model that wrote a string keeps it as it is.
  std::string arguments =
      call.arguments.is_string() ? call.arguments.get<std::string>() : call.arguments.dump();
  json out = {{"id", call_ids_[call_index]},
              {"type", "function"},
              {"function", {{"name", call.name}, {"arguments", arguments}}}};
  if (delta) out["index"] = call_index;
  return out;
}

json ChatChoiceEncoder::delta_choice(const chat::DecodedOutput& output, json logprobs) {
  json delta = json::object();
  if (!output.reasoning.empty()) delta["reasoning_content"] = output.reasoning;
  if (!output.text.empty()) delta["content"] = output.text;
  if (!output.tool_calls.empty()) {
    json calls = json::array();
    for (const auto& call : output.tool_calls) {
      calls.push_back(tool_call_json(call, all_.tool_calls.size(), true));
      all_.tool_calls.push_back(call);
    }
    delta["tool_calls"] = std::move(calls);
  }
  all_.text += output.text;
  all_.reasoning += output.reasoning;
  if (delta.empty() && logprobs.is_null()) return nullptr;
  return {{"index", index_},
          {"delta", std::move(delta)},
          {"logprobs", std::move(logprobs)},
          {"finish_reason", nullptr}};
}

json ChatChoiceEncoder::on_token(const TokenEvent& token) {
  json logprobs = nullptr;
  if (logprobs_ && (token.logprob || !token.text.empty())) {
    json entry = chat_logprob_json(token);
    logprob_entries_.push_back(entry);
    logprobs = {{"content", json::array({std::move(entry)})}};
  }
  return delta_choice(decoder_.feed(token.text), std::move(logprobs));
}

json ChatChoiceEncoder::on_done(const DoneEvent& done) {
  json choice = delta_choice(decoder_.finish(), nullptr);
  finish_reason_ = finish_reason_of(done.reason, !all_.tool_calls.empty());
  if (choice.is_null()) {
    choice = {{"index", index_}, {"delta", json::object()}, {"logprobs", nullptr}};
  }
  choice["finish_reason"] = finish_reason_;
  return choice;
}

json ChatChoiceEncoder::collected() const {
  json message = {{"role", "assistant"}, {"content", all_.text}};
  if (!all_.reasoning.empty()) message["reasoning_content"] = all_.reasoning;
  if (!all_.tool_calls.empty()) {
    json calls = json::array();
    for (size_t i = 0; i < all_.tool_calls.size(); ++i) {
      const auto& call = all_.tool_calls[i];
      std::string arguments =
          call.arguments.is_string() ? call.arguments.get<std::string>() : call.arguments.dump();
      calls.push_back({{"id", i < call_ids_.size() ? call_ids_[i] : random_id("call_")},
                       {"type", "function"},
                       {"function", {{"name", call.name}, {"arguments", arguments}}}});
    }
    message["tool_calls"] = std::move(calls);
    if (all_.text.empty()) message["content"] = nullptr;
  }
  return {{"index", index_},
          {"message", std::move(message)},
          {"logprobs", logprobs_ ? json{{"content", logprob_entries_}} : json(nullptr)},
          {"finish_reason", finish_reason_}};
}

json chat_chunk(const ResponseIdentity& identity, json choices, bool include_usage) {
  json chunk = {{"id", identity.id},
                {"object", "chat.completion.chunk"},
                {"created", identity.created},
                {"model", identity.model},
                {"system_fingerprint", nullptr},
                {"choices", std::move(choices)}};
  if (include_usage) chunk["usage"] = nullptr;
  return chunk;
}

json chat_usage_chunk(const ResponseIdentity& identity, const Usage& usage) {
  json chunk = chat_chunk(identity, json::array(), true);
  chunk["usage"] = usage_json(usage);
  return chunk;
}

json chat_completion(const ResponseIdentity& identity, json choices, const Usage& usage) {
  return {
      {"id", identity.id},         {"object", "chat.completion"},   {"created", identity.created},
      {"model", identity.model},   {"system_fingerprint", nullptr}, {"choices", std::move(choices)},
      {"usage", usage_json(usage)}};
}

json completion_logprobs_json(const std::vector<TokenEvent>& tokens, size_t text_offset) {
  json texts = json::array(), logprobs = json::array(), tops = json::array(),
       offsets = json::array();
  for (const auto& token : tokens) {
    std::string text = token.logprob ? token.logprob->bytes : token.text;
    texts.push_back(text);
    logprobs.push_back(token.logprob ? token.logprob->logprob : 0.0f);
    json top = json::object();
    for (const auto& alternative : token.top_logprobs) top[alternative.bytes] = alternative.logprob;
    tops.push_back(std::move(top));
    offsets.push_back(text_offset);
    text_offset += token.text.size();
  }
  return {{"tokens", std::move(texts)},
          {"token_logprobs", std::move(logprobs)},
          {"top_logprobs", std::move(tops)},
          {"text_offset", std::move(offsets)}};
}

json completion_object(const ResponseIdentity& identity, json choices, const Usage* usage) {
  json object = {
      {"id", identity.id},       {"object", "text_completion"},   {"created", identity.created},
      {"model", identity.model}, {"system_fingerprint", nullptr}, {"choices", std::move(choices)}};
  if (usage) object["usage"] = usage_json(*usage);
  return object;
}

}  // namespace weft::http
