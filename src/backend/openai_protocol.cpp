#include "backend/openai_protocol.hpp"

#include "backend/remote_json.hpp"
#include "weft/error.hpp"

namespace weft::backend::openai {
namespace {

using nlohmann::json;

json parse_json(std::string_view text, std::string_view what) {
  return parse_reply_json(text, "openai", what);
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

}  // namespace

json chat_body(const GenerationRequest& request, const std::string& model) {
  json body = streaming_body(model);
  body["messages"] = role_content_messages(request.messages);
  add_sampling_fields(request.options, body);
  return body;
}

json completion_body(const GenerationRequest& request, const std::string& model) {
  json body = streaming_body(model);
  body["prompt"] = concatenated_contents(request.messages);
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
        Usage{unsigned_count(*usage, "prompt_tokens"), unsigned_count(*usage, "completion_tokens")};
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
  return error_body_message(body, [](const json& object) -> std::optional<std::string> {
    if (auto error = object.find("error"); error != object.end())
      return describe_error_object(*error);
    if (auto message = object.find("message"); message != object.end()) return json_text(*message);
    if (auto detail = object.find("detail"); detail != object.end()) return json_text(*detail);
    return std::nullopt;
  });
}

std::vector<std::string> parse_models(const std::string& body) {
  return names_in_list(body, "openai", "the /v1/models reply", "data", {"id"});
}

}  // namespace weft::backend::openai
