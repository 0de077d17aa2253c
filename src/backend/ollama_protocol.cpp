#include "backend/ollama_protocol.hpp"

#include "backend/remote_json.hpp"
#include "weft/error.hpp"

namespace weft::backend::ollama {
namespace {

using nlohmann::json;

json parse_json(std::string_view text, std::string_view what) {
  return parse_reply_json(text, "ollama", what);
}

std::chrono::nanoseconds duration_field(const json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_number_unsigned()) return std::chrono::nanoseconds{0};
  return std::chrono::nanoseconds(found->get<uint64_t>());
}

std::string string_field(const json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

json options_json(const GenerationOptions& options, std::optional<uint32_t> num_ctx) {
  json out = json::object();
  out["num_predict"] = options.max_tokens;
  if (options.temperature) out["temperature"] = *options.temperature;
  if (options.top_k) out["top_k"] = *options.top_k;
  if (options.top_p) out["top_p"] = *options.top_p;
  if (options.min_p) out["min_p"] = *options.min_p;
  if (options.seed) out["seed"] = *options.seed;
  if (!options.stop.empty()) out["stop"] = options.stop;
  if (options.repeat_penalty) out["repeat_penalty"] = *options.repeat_penalty;
  if (options.presence_penalty) out["presence_penalty"] = *options.presence_penalty;
  if (options.frequency_penalty) out["frequency_penalty"] = *options.frequency_penalty;
  if (num_ctx) out["num_ctx"] = *num_ctx;
  return out;
}

json chat_body(const GenerationRequest& request, const std::string& model,
               std::optional<uint32_t> num_ctx) {
  return {{"model", model},
          {"messages", role_content_messages(request.messages)},
          {"stream", true},
          {"options", options_json(request.options, num_ctx)}};
}

json generate_body(const GenerationRequest& request, const std::string& model,
                   std::optional<uint32_t> num_ctx) {
  return {{"model", model},
          {"prompt", concatenated_contents(request.messages)},
          {"raw", true},
          {"stream", true},
          {"options", options_json(request.options, num_ctx)}};
}

StopReason stop_reason(std::string_view done_reason) {
  return done_reason == "length" ? StopReason::length : StopReason::end;
}

Chunk parse_stream_line(std::string_view line) {
  json object = parse_json(line, "a streamed line");
  if (!object.is_object())
    throw Error(ErrorCode::internal, "ollama: a streamed line is not an object");
  Chunk chunk;
  if (auto error = object.find("error"); error != object.end()) {
    chunk.error = error->is_string() ? error->get<std::string>() : error->dump();
    return chunk;
  }
  if (auto message = object.find("message"); message != object.end() && message->is_object()) {
    if (auto content = message->find("content");
        content != message->end() && content->is_string()) {
      chunk.text = content->get<std::string>();
    }
  } else if (auto response = object.find("response");
             response != object.end() && response->is_string()) {
    chunk.text = response->get<std::string>();
  }
  auto done = object.find("done");
  if (done == object.end() || !done->is_boolean()) {
    throw Error(ErrorCode::internal, "ollama: a streamed line has no boolean \"done\": " +
                                         std::string(line.substr(0, 200)));
  }
  chunk.done = done->get<bool>();
  if (!chunk.done) return chunk;
  if (auto reason = object.find("done_reason"); reason != object.end() && reason->is_string()) {
    chunk.reason = stop_reason(reason->get<std::string>());
  }
  chunk.usage.prompt_tokens = unsigned_count(object, "prompt_eval_count");
  chunk.usage.completion_tokens = unsigned_count(object, "eval_count");
  chunk.timings.load = duration_field(object, "load_duration");
  chunk.timings.prompt = duration_field(object, "prompt_eval_duration");
  chunk.timings.generation = duration_field(object, "eval_duration");
  chunk.timings.total = duration_field(object, "total_duration");
  return chunk;
}

std::string error_message(const std::string& body) {
  return error_body_message(body, [](const json& object) -> std::optional<std::string> {
    auto error = object.find("error");
    if (error == object.end()) return std::nullopt;
    return error->is_string() ? error->get<std::string>() : error->dump();
  });
}

std::vector<std::string> parse_tags(const std::string& body) {
  // "name" is what `ollama list` shows; newer servers also send "model" with the same value.
  return names_in_list(body, "ollama", "the /api/tags reply", "models", {"name", "model"});
}

ModelInfo parse_show(const std::string& model, const std::string& body) {
  json object = parse_json(body, "the /api/show reply");
  if (!object.is_object())
    throw Error(ErrorCode::internal, "ollama: the /api/show reply is not an object");
  ModelInfo info;
  info.name = model;
  if (auto details = object.find("details"); details != object.end() && details->is_object()) {
    info.architecture = string_field(*details, "family");
    info.quantization = string_field(*details, "quantization_level");
  }
  // model_info holds the GGUF metadata: general.* plus "<architecture>.<key>".
  if (auto facts = object.find("model_info"); facts != object.end() && facts->is_object()) {
    if (auto arch = facts->find("general.architecture");
        arch != facts->end() && arch->is_string()) {
      info.architecture = arch->get<std::string>();
    }
    auto number = [&](const std::string& key) -> uint64_t {
      auto found = facts->find(key);
      return found != facts->end() && found->is_number_unsigned() ? found->get<uint64_t>() : 0;
    };
    info.parameter_count = number("general.parameter_count");
    info.context_length = static_cast<uint32_t>(number(info.architecture + ".context_length"));
    info.vocabulary_size = static_cast<uint32_t>(number(info.architecture + ".vocab_size"));
  }
  if (auto tmpl = object.find("template"); tmpl != object.end() && tmpl->is_string()) {
    info.has_chat_template = !tmpl->get<std::string>().empty();
  }
  return info;
}

}  // namespace weft::backend::ollama
