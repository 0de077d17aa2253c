// The model, its tokenizer and chat template, and the program's hello.
#include "program/program_ops.hpp"

#include "protocol/base64.hpp"
#include "weft/error.hpp"
#include "weft/version.hpp"

namespace weft::program {
namespace {

using nlohmann::json;

json pieces_json(State& state, const std::vector<int32_t>& ids) {
  json pieces = json::array();
  for (int32_t id : ids) pieces.push_back(protocol::base64_encode(state.runtime->token_bytes(id)));
  return {{"ids", ids}, {"pieces", std::move(pieces)}};
}

json op_hello(State& state, const json&) {
  return {{"protocol", 1},
          {"version", kVersion},
          {"instance_id", state.setup.instance_id},
          {"username", state.setup.username},
          {"models", json::array({state.runtime->model_name()})},
          {"input", state.setup.input},
          {"seed", state.setup.seed}};
}

json op_model(State& state, const json& request) {
  const auto name = string_field(request, "name");
  const auto loaded = state.runtime->model_name();
  if (name != "default" && name != loaded) {
    throw ProtocolError("not_found", "no model named '" + name + "' is loaded (this host has '" +
                                         loaded + "', also called 'default')");
  }
  const auto bos = state.runtime->bos_token();
  return {{"name", loaded},
          {"bos_token", bos ? json(*bos) : json()},
          {"vocab_size", state.runtime->vocabulary_size()},
          {"page_size", state.runtime->page_tokens()},
          {"context_length", state.runtime->context_length()},
          {"stop_tokens", state.runtime->stop_tokens()}};
}

json op_encode(State& state, const json& request) {
  return {{"tokens",
           state.runtime->encode(string_field(request, "text"), bool_field(request, "special"))}};
}

json op_decode(State& state, const json& request) {
  return {{"text", state.runtime->decode(token_field(state, request, "tokens"))}};
}

json op_vocabulary(State& state, const json&) {
  std::vector<int32_t> ids(static_cast<size_t>(state.runtime->vocabulary_size()));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  return pieces_json(state, ids);
}

json op_special_tokens(State& state, const json&) {
  return pieces_json(state, state.runtime->special_tokens());
}

json op_split_regex(State& state, const json&) {
  const auto patterns = state.runtime->split_patterns();
  return {{"pattern", patterns.size() == 1 ? patterns.front() : ""}, {"patterns", patterns}};
}

json op_chat_tokens(State& state, const json& request) {
  const auto& items = required(request, "messages");
  if (!items.is_array()) throw Error("'messages' must be an array");
  std::vector<Message> messages;
  for (const auto& item : items) messages.push_back(message_from(item));
  return {
      {"tokens", state.runtime->render_chat(messages, bool_field(request, "generation_prompt"))}};
}

}  // namespace

void add_model_operations(OperationTable& table) {
  table["hello"] = op_hello;
  table["model"] = op_model;
  table["encode"] = op_encode;
  table["decode"] = op_decode;
  table["vocabulary"] = op_vocabulary;
  table["special_tokens"] = op_special_tokens;
  table["split_regex"] = op_split_regex;
  table["chat_tokens"] = op_chat_tokens;
}

}  // namespace weft::program
