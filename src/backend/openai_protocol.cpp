#include "backend/openai_protocol.hpp"

#include "weft/error.hpp"

namespace weft::backend::openai {
namespace {

using nlohmann::json;

json parse_json(std::string_view text, std::string_view what) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& error) {
    throw Error(ErrorCode::internal,
                "openai: " + std::string(what) + " is not valid JSON: " + error.what());
  }
}

void add_sampling_fields(const GenerationOptions& options, json& body) {
  body["max_tokens"] = options.max_tokens;
  if (options.temperature) body["temperature"] = *options.temperature;
  if (options.top_p) body["top_p"] = *options.top_p;
  if (options.seed) body["seed"] = *options.seed;
  if (!options.stop.empty()) body["stop"] = options.stop;
  if (options.presence_penalty) body["presence_penalty"] = *options.presence_penalty;
  if (options.frequency_penalty) body["frequency_penalty"] = *options.frequency_penalty;
  if (options.top_k) body["top_k"] = *options.top_k;
  if (options.min_p) body["min_p"] = *options.min_p;
  if (options.repeat_penalty) body["repetition_penalty"] = *options.repeat_penalty;
}

json streaming_body(const std::string& model) {
  return {{"model", model}, {"stream", true}, {"stream_options", {{"include_usage", true}}}};
}

std::string json_text(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string trimmed(std::string text) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.back())) text.pop_back();
  size_t start = 0;
  while (start < text.size() && is_space(text[start])) ++start;
  return text.substr(start);
}

std::string describe_error_object(const json& error) {
  if (!error.is_object()) return json_text(error);
  std::string message = error.contains("message") ? json_text(error["message"]) : error.dump();
  std::string details;
  for (const char* key : {"type", "code"}) {
    auto found = error.find(key);
    if (found == error.end() || found->is_null()) continue;
    details += (details.empty() ? "" : ", ") + std::string(key) + ": " + json_text(*found);
  }
  return details.empty() ? message : message + " (" + details + ")";
}

uint32_t count_field(const json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_number_unsigned()) return 0;
  return static_cast<uint32_t>(found->get<uint64_t>());
}

}  // namespace

json chat_body(const GenerationRequest& request, const std::string& model) {
  json body = streaming_body(model);
  json messages = json::array();
  for (const auto& message : request.messages) {
    messages.push_back(
        {{"role", std::string(to_string(message.role))}, {"content", message.content}});
  }
  body["messages"] = std::move(messages);
  add_sampling_fields(request.options, body);
  return body;
}

json completion_body(const GenerationRequest& request, const std::string& model) {
  json body = streaming_body(model);
  std::string prompt;
  for (const auto& message : request.messages) prompt += message.content;
  body["prompt"] = prompt;
  add_sampling_fields(request.options, body);
  return body;
}

StopReason stop_reason(std::string_view finish_reason) {
  return finish_reason == "length" ? StopReason::length : StopReason::end;
}

Chunk parse_stream_data(std::string_view data) {
  Chunk chunk;
  if (data == "[DONE]") {
    chunk.done_marker = true;
    return chunk;
  }
  json object = parse_json(data, "a streamed chunk");
  if (!object.is_object())
    throw Error(ErrorCode::internal, "openai: a streamed chunk is not an object");
  if (auto error = object.find("error"); error != object.end() && !error->is_null()) {
    chunk.error = describe_error_object(*error);
    return chunk;
  }
  if (auto usage = object.find("usage"); usage != object.end() && usage->is_object()) {
    chunk.usage =
        Usage{count_field(*usage, "prompt_tokens"), count_field(*usage, "completion_tokens")};
  }
  auto choices = object.find("choices");
  if (choices == object.end() || !choices->is_array()) {
    throw Error(ErrorCode::internal, "openai: a streamed chunk has no \"choices\" array: " +
                                         std::string(data.substr(0, 200)));
  }
  if (choices->empty()) return chunk;  // the usage chunk
  const json& choice = choices->front();
  if (auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
    if (auto content = delta->find("content"); content != delta->end() && content->is_string()) {
      chunk.text = content->get<std::string>();
    }
  } else if (auto text = choice.find("text"); text != choice.end() && text->is_string()) {
    chunk.text = text->get<std::string>();
  }
  if (auto finish = choice.find("finish_reason"); finish != choice.end() && finish->is_string()) {
    chunk.finish = stop_reason(finish->get<std::string>());
  }
  return chunk;
}

std::string error_message(const std::string& body) {
  try {
    json object = json::parse(body);
    if (object.is_object()) {
      if (auto error = object.find("error"); error != object.end())
        return describe_error_object(*error);
      if (auto message = object.find("message"); message != object.end())
        return json_text(*message);
      if (auto detail = object.find("detail"); detail != object.end()) return json_text(*detail);
    }
  } catch (const json::parse_error&) {
    // not JSON: the body itself is the best message there is
  }
  std::string text = trimmed(body);
  return text.empty() ? "(empty body)" : text.substr(0, 500);
}

std::vector<std::string> parse_models(const std::string& body) {
  json object = parse_json(body, "the /v1/models reply");
  auto data = object.is_object() ? object.find("data") : object.end();
  if (data == object.end() || !data->is_array()) {
    throw Error(ErrorCode::internal, "openai: the /v1/models reply has no \"data\" array");
  }
  std::vector<std::string> ids;
  for (const auto& model : *data) {
    if (auto id = model.find("id"); id != model.end() && id->is_string())
      ids.push_back(id->get<std::string>());
  }
  return ids;
}

}  // namespace weft::backend::openai
