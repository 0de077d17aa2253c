#include "protocol/engine_protocol.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>

#include "protocol/json_fields.hpp"

namespace weft::protocol::engine {
namespace {

using nlohmann::json;

// A FieldError becomes a BadCommand or BadEvent naming the field.
using protocol::FieldError;
using protocol::find_field;

// For messages: a value as JSON text, invalid UTF-8 replaced rather than thrown over.
std::string shown(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  constexpr size_t kMostShown = 80;
  if (text.size() > kMostShown) text = text.substr(0, kMostShown) + "…";
  return text;
}

std::string line_of(json object) {
  json line = {{"v", kProtocolVersion}};
  line.update(object);
  return line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string required_string(const json& object, const char* key) {
  const json* value = find_field(object, key);
  if (!value) throw FieldError{std::string("'") + key + "' is required"};
  if (!value->is_string() || value->get_ref<const std::string&>().empty()) {
    throw FieldError{std::string("'") + key + "' must be a non-empty string, got " + shown(*value)};
  }
  return value->get<std::string>();
}

std::optional<std::string> optional_string(const json& object, const char* key) {
  const json* value = find_field(object, key);
  if (!value) return std::nullopt;
  if (!value->is_string()) {
    throw FieldError{std::string("'") + key + "' must be a string, got " + shown(*value)};
  }
  return value->get<std::string>();
}

uint64_t read_unsigned(const json& value, const char* key, uint64_t low, uint64_t high) {
  if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<int64_t>() < 0)) {
    throw FieldError{std::string("'") + key + "' must be a whole number from " +
                     std::to_string(low) + " to " + std::to_string(high) + ", got " + shown(value)};
  }
  const uint64_t number = value.get<uint64_t>();
  if (number < low || number > high) {
    throw FieldError{std::string("'") + key + "' must be from " + std::to_string(low) + " to " +
                     std::to_string(high) + ", got " + shown(value)};
  }
  return number;
}

std::optional<float> optional_number_in(const json& object, const char* key, double low,
                                        double high) {
  const json* value = find_field(object, key);
  if (!value) return std::nullopt;
  if (!value->is_number()) {
    throw FieldError{std::string("'") + key + "' must be a number, got " + shown(*value)};
  }
  const double number = value->get<double>();
  if (!std::isfinite(number) || number < low || number > high) {
    throw FieldError{std::string("'") + key + "' must be between " + json(low).dump() + " and " +
                     json(high).dump() + ", got " + shown(*value)};
  }
  return static_cast<float>(number);
}

// A generation id: a non-empty string or an integer, so that a host's own ids round-trip.
std::optional<json> usable_id(const json& object) {
  const json* id = find_field(object, "id");
  if (!id) return std::nullopt;
  if (id->is_number_integer()) return *id;
  if (id->is_string() && !id->get_ref<const std::string&>().empty()) return *id;
  return std::nullopt;
}

json required_id(const json& object) {
  if (auto id = usable_id(object)) return *id;
  const json* id = find_field(object, "id");
  if (!id) throw FieldError{"'id' is required"};
  throw FieldError{"'id' must be a non-empty string or an integer, got " + shown(*id)};
}

// `content` is a string, or OpenAI-style parts of which only text parts can be served.
std::string message_content(const json& content, const std::string& where) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) {
    throw FieldError{where + ".content must be a string or an array of text parts"};
  }
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    const std::string part_where = where + ".content[" + std::to_string(i) + "]";
    const json* type = part.is_object() ? find_field(part, "type") : nullptr;
    if (!type || *type != "text") {
      throw FieldError{part_where + " must be a text part {\"type\": \"text\", \"text\"}"};
    }
    const json* part_text = find_field(part, "text");
    if (!part_text || !part_text->is_string()) {
      throw FieldError{part_where + ".text must be a string"};
    }
    text += part_text->get<std::string>();
  }
  return text;
}

Message decode_message(const json& value, size_t index) {
  const std::string where = "messages[" + std::to_string(index) + "]";
  if (!value.is_object()) throw FieldError{where + " must be an object {role, content}"};
  const json* role = find_field(value, "role");
  if (!role || !role->is_string() || !parse_role(role->get<std::string>())) {
    throw FieldError{where + ".role must be \"system\", \"user\", \"assistant\" or \"tool\", got " +
                     (role ? shown(*role) : std::string("nothing"))};
  }
  const json* content = find_field(value, "content");
  Message message;
  message.role = *parse_role(role->get<std::string>());
  message.content = content ? message_content(*content, where) : "";
  if (!content && message.role != Role::assistant) {
    throw FieldError{where + ".content is required"};
  }
  return message;
}

GenerationOptions decode_options(const json& object) {
  GenerationOptions options;
  if (const json* max_tokens = find_field(object, "max_tokens")) {
    options.max_tokens = static_cast<uint32_t>(
        read_unsigned(*max_tokens, "max_tokens", 1, std::numeric_limits<uint32_t>::max()));
  }
  options.temperature = optional_number_in(object, "temperature", 0.0, 100.0);
  options.top_p = optional_number_in(object, "top_p", 0.0, 1.0);
  options.min_p = optional_number_in(object, "min_p", 0.0, 1.0);
  if (const json* top_k = find_field(object, "top_k")) {
    options.top_k = static_cast<uint32_t>(
        read_unsigned(*top_k, "top_k", 0, std::numeric_limits<uint32_t>::max()));
  }
  if (const json* seed = find_field(object, "seed")) {
    options.seed = read_unsigned(*seed, "seed", 0, std::numeric_limits<uint64_t>::max());
  }
  options.stop = protocol::decode_stop_strings(object, /*one_string=*/true);
  options.repeat_penalty = optional_number_in(object, "repeat_penalty", 0.0, 100.0);
  options.presence_penalty = optional_number_in(object, "presence_penalty", -100.0, 100.0);
  options.frequency_penalty = optional_number_in(object, "frequency_penalty", -100.0, 100.0);
  return options;
}

GenerateCommand decode_generate(const json& object) {
  GenerateCommand command;
  command.id = required_id(object);
  command.model = optional_string(object, "model").value_or("");
  const json* messages = find_field(object, "messages");
  if (!messages) throw FieldError{"'messages' is required"};
  if (!messages->is_array() || messages->empty()) {
    throw FieldError{"'messages' must be a non-empty array of {role, content}"};
  }
  for (size_t i = 0; i < messages->size(); ++i) {
    command.request.messages.push_back(decode_message((*messages)[i], i));
  }
  command.request.options = decode_options(object);
  if (const json* raw = find_field(object, "raw_prompt")) {
    if (!raw->is_boolean()) throw FieldError{"'raw_prompt' must be a boolean"};
    command.request.raw_prompt = raw->get<bool>();
    if (command.request.raw_prompt && command.request.messages.size() != 1) {
      throw FieldError{"'raw_prompt' takes exactly one message: the prompt"};
    }
  }
  command.request.model = command.model;
  return command;
}

Command decode_command_object(const json& object) {
  const std::string type = required_string(object, "type");
  if (type == "load") return LoadCommand{required_string(object, "model")};
  if (type == "generate") return decode_generate(object);
  if (type == "cancel") return CancelCommand{required_id(object)};
  if (type == "shutdown") return ShutdownCommand{};
  throw FieldError{"unknown message type '" + type +
                   "' (expected load, generate, cancel or shutdown)"};
}

std::optional<ErrorCode> parse_error_code(std::string_view name) {
  for (ErrorCode code :
       {ErrorCode::invalid_request, ErrorCode::backend_unavailable, ErrorCode::queue_full,
        ErrorCode::internal, ErrorCode::frame_too_large, ErrorCode::prompt_too_long}) {
    if (to_string(code) == name) return code;
  }
  return std::nullopt;
}

// Parses a line to an object and checks its version; nullopt for a blank line.
std::optional<json> parse_line(std::string_view line, std::optional<json>* id_out) {
  const auto first = line.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::nullopt;
  json object = json::parse(line, nullptr, false);
  if (object.is_discarded()) throw FieldError{"bad ndjson: the line is not valid JSON"};
  if (!object.is_object()) throw FieldError{"bad ndjson: the line is not a JSON object"};
  if (id_out) *id_out = usable_id(object);
  const json* version = find_field(object, "v");
  if (!version || *version != kProtocolVersion) {
    throw FieldError{"protocol version mismatch: expected " + std::to_string(kProtocolVersion) +
                     ", got " + (version ? shown(*version) : std::string("none"))};
  }
  return object;
}

Usage decode_usage(const json& usage) {
  if (!usage.is_object()) throw FieldError{"'usage' must be an object"};
  Usage decoded;
  const uint64_t most = std::numeric_limits<uint32_t>::max();
  if (const json* prompt = find_field(usage, "prompt_tokens")) {
    decoded.prompt_tokens = static_cast<uint32_t>(read_unsigned(*prompt, "prompt_tokens", 0, most));
  }
  if (const json* completion = find_field(usage, "completion_tokens")) {
    decoded.completion_tokens =
        static_cast<uint32_t>(read_unsigned(*completion, "completion_tokens", 0, most));
  }
  return decoded;
}

StopReason parse_done_reason(const json& object) {
  const std::string reason = required_string(object, "reason");
  if (reason == "stop") return StopReason::end;
  if (reason == "length") return StopReason::length;
  if (reason == "cancel") return StopReason::cancelled;
  throw FieldError{"done.reason must be \"stop\", \"length\" or \"cancel\", got '" + reason + "'"};
}

std::string event_id(const json& object) {
  const json id = required_id(object);
  return id.is_string() ? id.get<std::string>() : id.dump();
}

EngineEvent decode_event_object(const json& object) {
  const std::string type = required_string(object, "type");
  EngineEvent event;
  if (type == "ready") {
    event.type = EngineEvent::Type::ready;
    event.model = optional_string(object, "model");
  } else if (type == "meta") {
    event.type = EngineEvent::Type::meta;
    event.id = event_id(object);
    event.model = optional_string(object, "model");
  } else if (type == "token") {
    event.type = EngineEvent::Type::token;
    event.id = event_id(object);
    const json* text = find_field(object, "text");
    if (!text || !text->is_string()) throw FieldError{"token.text must be a string"};
    event.text = text->get<std::string>();
  } else if (type == "done") {
    event.type = EngineEvent::Type::done;
    event.id = event_id(object);
    event.reason = parse_done_reason(object);
    event.text = optional_string(object, "text").value_or("");
    if (const json* usage = find_field(object, "usage")) event.usage = decode_usage(*usage);
  } else if (type == "error") {
    event.type = EngineEvent::Type::error;
    if (find_field(object, "id")) event.id = event_id(object);
    event.message = optional_string(object, "message").value_or("");
    if (event.message.empty()) event.message = "the engine reported an error without a message";
    if (auto code = optional_string(object, "code")) event.code = parse_error_code(*code);
  } else if (type == "log") {
    event.type = EngineEvent::Type::log;
    event.level = optional_string(object, "level").value_or("info");
    event.message = optional_string(object, "message").value_or("");
  } else {
    throw FieldError{"unknown event type '" + type + "'"};
  }
  return event;
}

}  // namespace

Command decode_command(std::string_view line) {
  std::optional<json> id;
  try {
    auto object = parse_line(line, &id);
    if (!object) return BlankLine{};
    return decode_command_object(*object);
  } catch (const FieldError& error) {
    return BadCommand{id, error.message};
  }
}

std::string encode_load(std::string_view model) {
  return line_of({{"type", "load"}, {"model", model}});
}

std::string encode_generate(std::string_view id, const GenerationRequest& request) {
  json messages = json::array();
  for (const auto& message : request.messages) {
    json entry = {{"role", to_string(message.role)}, {"content", message.content}};
    if (!message.name.empty()) entry["name"] = message.name;
    if (!message.tool_call_id.empty()) entry["tool_call_id"] = message.tool_call_id;
    messages.push_back(std::move(entry));
  }
  const GenerationOptions& options = request.options;
  json line = {{"type", "generate"},
               {"id", id},
               {"messages", std::move(messages)},
               {"max_tokens", options.max_tokens}};
  if (!request.model.empty()) line["model"] = request.model;
  if (options.temperature) line["temperature"] = *options.temperature;
  if (options.top_p) line["top_p"] = *options.top_p;
  if (options.top_k) line["top_k"] = *options.top_k;
  if (options.min_p) line["min_p"] = *options.min_p;
  if (options.seed) line["seed"] = *options.seed;
  if (!options.stop.empty()) line["stop"] = options.stop;
  if (options.repeat_penalty) line["repeat_penalty"] = *options.repeat_penalty;
  if (options.presence_penalty) line["presence_penalty"] = *options.presence_penalty;
  if (options.frequency_penalty) line["frequency_penalty"] = *options.frequency_penalty;
  if (request.raw_prompt) line["raw_prompt"] = true;
  return line_of(std::move(line));
}

std::string encode_cancel(std::string_view id) {
  return line_of({{"type", "cancel"}, {"id", id}});
}

std::string encode_shutdown() {
  return line_of({{"type", "shutdown"}});
}

std::string_view done_reason(StopReason reason) {
  switch (reason) {
    case StopReason::length:
      return "length";
    case StopReason::cancelled:
      return "cancel";
    case StopReason::end:
    case StopReason::error:
      break;
  }
  return "stop";
}

std::string encode_ready(const std::optional<std::string>& model) {
  return line_of({{"type", "ready"}, {"model", model ? json(*model) : json(nullptr)}});
}

std::string encode_meta(const json& id, std::string_view model, std::string_view started_at) {
  return line_of({{"type", "meta"}, {"id", id}, {"model", model}, {"started_at", started_at}});
}

std::string encode_token(const json& id, std::string_view text) {
  return line_of({{"type", "token"}, {"id", id}, {"text", text}});
}

std::string encode_done(const json& id, StopReason reason, std::string_view text,
                        const Usage& usage) {
  return line_of(
      {{"type", "done"},
       {"id", id},
       {"reason", done_reason(reason)},
       {"text", text},
       {"usage",
        {{"prompt_tokens", usage.prompt_tokens}, {"completion_tokens", usage.completion_tokens}}}});
}

std::string encode_error(const std::optional<json>& id, std::string_view message,
                         std::optional<ErrorCode> code) {
  json line = {{"type", "error"}, {"message", message}};
  if (id) line["id"] = *id;
  if (code) line["code"] = to_string(*code);
  return line_of(std::move(line));
}

std::string encode_log(std::string_view level, std::string_view message) {
  return line_of({{"type", "log"}, {"level", level}, {"message", message}});
}

std::string utc_timestamp_now() {
  const auto now = std::chrono::system_clock::now();
  const auto milliseconds =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const size_t length = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof(text) - length, ".%03dZ", static_cast<int>(milliseconds));
  return text;
}

DecodedEvent decode_event(std::string_view line) {
  try {
    auto object = parse_line(line, nullptr);
    if (!object) return BlankLine{};
    return decode_event_object(*object);
  } catch (const FieldError& error) {
    return BadEvent{error.message};
  }
}

}  // namespace weft::protocol::engine
