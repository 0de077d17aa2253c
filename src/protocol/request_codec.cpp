#include "protocol/request_codec.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "grammar/grammar.hpp"
#include "protocol/base64.hpp"
#include "protocol/json_fields.hpp"
#include "weft/error.hpp"

namespace weft::protocol {
namespace {

using nlohmann::json;

constexpr uint32_t kImageTokenBudgets[] = {70, 140, 280, 560, 1120};

uint64_t read_unsigned(const json& value, const char* key, uint64_t max) {
  if (!value.is_number_integer()) {
    throw FieldError{std::string("'") + key + "' must be an integer"};
  }
  if (!value.is_number_unsigned()) {
    throw FieldError{std::string("'") + key + "' must be >= 0, got " + value.dump()};
  }
  uint64_t number = value.get<uint64_t>();
  if (number > max) {
    throw FieldError{std::string("'") + key + "' must be at most " + std::to_string(max) +
                     ", got " + value.dump()};
  }
  return number;
}

std::optional<uint32_t> optional_u32(const json& object, const char* key) {
  const json* value = find_field(object, key);
  if (!value) return std::nullopt;
  return static_cast<uint32_t>(read_unsigned(*value, key, std::numeric_limits<uint32_t>::max()));
}

std::optional<float> optional_number(const json& object, const char* key) {
  const json* value = find_field(object, key);
  if (!value) return std::nullopt;
  if (!value->is_number()) throw FieldError{std::string("'") + key + "' must be a number"};
  // Read wide first: converting a double beyond float's range to float is undefined.
  const double wide = value->get<double>();
  if (!std::isfinite(wide) || std::fabs(wide) > std::numeric_limits<float>::max()) {
    throw FieldError{std::string("'") + key + "' is out of range, got " + value->dump()};
  }
  return static_cast<float>(wide);
}

// Extensions only: ranges that a sampler cannot honour otherwise.
std::optional<float> optional_number_in(const json& object, const char* key, float low,
                                        float high) {
  auto number = optional_number(object, key);
  if (number && (*number < low || *number > high)) {
    throw FieldError{std::string("'") + key + "' must be between " + json(low).dump() + " and " +
                     json(high).dump() + ", got " + object.at(key).dump()};
  }
  return number;
}

Message decode_message(const json& value, size_t index) {
  const std::string where = "messages[" + std::to_string(index) + "]";
  if (!value.is_object()) throw FieldError{where + " must be an object {role, content}"};
  const json* role = find_field(value, "role");
  if (!role || !role->is_string()) throw FieldError{where + ".role must be a string"};
  const auto& role_name = role->get_ref<const std::string&>();
  if (role_name != "system" && role_name != "user" && role_name != "assistant") {
    throw FieldError{where + ".role must be \"system\", \"user\" or \"assistant\", got " +
                     role->dump()};
  }
  const json* content = find_field(value, "content");
  if (!content || !content->is_string()) throw FieldError{where + ".content must be a string"};
  return {*parse_role(role_name), content->get<std::string>()};
}

std::vector<Message> decode_messages(const json& object) {
  const json* messages = find_field(object, "messages");
  if (!messages) throw FieldError{"'messages' is required"};
  if (!messages->is_array()) throw FieldError{"'messages' must be an array"};
  if (messages->empty()) throw FieldError{"'messages' must not be empty"};
  std::vector<Message> decoded;
  decoded.reserve(messages->size());
  for (size_t i = 0; i < messages->size(); ++i)
    decoded.push_back(decode_message((*messages)[i], i));
  return decoded;
}

void decode_spec_fields(const json& object, DecodedRequest& decoded) {
  GenerationOptions& options = decoded.request.options;
  decoded.request.messages = decode_messages(object);
  options.temperature = optional_number(object, "temperature").value_or(kDefaultTemperature);
  options.top_p = optional_number(object, "top_p").value_or(kDefaultTopP);
  options.top_k = optional_u32(object, "top_k").value_or(kDefaultTopK);
  options.max_tokens = optional_u32(object, "max_tokens").value_or(kDefaultMaxTokens);
  if (const json* stream = find_field(object, "stream")) {
    if (!stream->is_boolean()) throw FieldError{"'stream' must be a boolean"};
    decoded.stream = stream->get<bool>();
  }
  if (const json* budget = find_field(object, "image_token_budget")) {
    uint64_t value =
        read_unsigned(*budget, "image_token_budget", std::numeric_limits<uint32_t>::max());
    bool allowed = false;
    for (uint32_t candidate : kImageTokenBudgets) allowed = allowed || candidate == value;
    if (!allowed) {
      throw FieldError{"'image_token_budget' must be one of 70, 140, 280, 560, 1120, got " +
                       budget->dump()};
    }
    decoded.image_token_budget = static_cast<uint32_t>(value);
  }
  if (const json* grammar = find_field(object, "grammar")) {
    if (!grammar->is_string()) throw FieldError{"'grammar' must be a string"};
    const auto& text = grammar->get_ref<const std::string&>();
    if (!text.empty()) {
      // Checked here, so a bad grammar is answered before the request waits for a model.
      try {
        grammar::parse_gbnf(text);
      } catch (const Error& error) {
        throw FieldError{std::string("'grammar' is not valid GBNF: ") + error.what()};
      }
      decoded.request.options.grammar = text;
    }
  }
}

void decode_extensions(const json& object, GenerationOptions& options) {
  options.stop = decode_stop_strings(object, /*one_string=*/false);
  if (const json* seed = find_field(object, "seed")) {
    options.seed = read_unsigned(*seed, "seed", std::numeric_limits<uint64_t>::max());
  }
  options.min_p = optional_number_in(object, "min_p", 0.0f, 1.0f);
  options.repeat_penalty = optional_number_in(object, "repeat_penalty", 0.0f, 100.0f);
  options.presence_penalty = optional_number_in(object, "presence_penalty", -100.0f, 100.0f);
  options.frequency_penalty = optional_number_in(object, "frequency_penalty", -100.0f, 100.0f);
}

std::string read_id(const json& object) {
  const json* id = find_field(object, "id");
  if (id && id->is_string()) return id->get<std::string>();
  return {};
}

bool is_program_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxProgramNameBytes) return false;
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

// The bytes base64 `text` stands for when it is valid: 3 per 4 characters, less the padding.
size_t base64_size(std::string_view text) {
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  return text.size() / 4 * 3 - std::min(padding, text.size() / 4 * 3);
}

// `files`: an array of base64 strings (canonical, padded), within the per-file and per-run
// limits; every error names the entry. The sizes are checked from the text's length before
// anything is decoded.
std::vector<std::string> decode_program_files(const json& files) {
  if (!files.is_array()) {
    throw FieldError{"'files' must be an array of base64 strings (one per file)"};
  }
  size_t total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string field = "files[" + std::to_string(i) + "]";
    if (!files[i].is_string()) throw FieldError{"'" + field + "' must be a base64 string"};
    const size_t size = base64_size(files[i].get_ref<const std::string&>());
    if (size > kMaxProgramFileBytes) {
      throw FieldError{"'" + field + "' is larger than " + std::to_string(kMaxProgramFileBytes) +
                       " bytes (the limit per file): " + std::to_string(size)};
    }
    total += size;
    if (total > kMaxProgramFilesBytes) {
      throw FieldError{"'files' come to more than " + std::to_string(kMaxProgramFilesBytes) +
                       " bytes (the limit per request) at '" + field + "'"};
    }
  }
  std::vector<std::string> decoded;
  for (size_t i = 0; i < files.size(); ++i) {
    auto bytes = base64_decode(files[i].get_ref<const std::string&>());
    if (!bytes) {
      throw FieldError{"'files[" + std::to_string(i) +
                       "]' is not base64 (the standard alphabet, padded with '=' to a multiple "
                       "of 4 characters, no whitespace)"};
    }
    decoded.push_back(std::move(*bytes));
  }
  return decoded;
}

// The name becomes a file name inside the programs directory, so anything that could leave
// it ('/', "..", NUL) is refused here, where it enters.
ProgramRequest decode_program(const json& object, const json& name) {
  ProgramRequest program;
  program.id = read_id(object);
  if (const json* id = find_field(object, "id"); id && !id->is_string()) {
    throw FieldError{"'id' must be a string"};
  }
  if (find_field(object, "messages")) {
    throw FieldError{"a request has 'messages' (a generation) or 'program', not both"};
  }
  if (!name.is_string() || !is_program_name(name.get<std::string>())) {
    throw FieldError{"'program' must be a name of 1 to " + std::to_string(kMaxProgramNameBytes) +
                     " letters, digits, '_' or '-' (the file NAME.js in the daemon's programs "
                     "directory), got " +
                     name.dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  program.name = name.get<std::string>();
  if (const json* input = find_field(object, "input")) {
    program.input_json = input->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (const json* seed = find_field(object, "seed")) {
    program.seed = read_unsigned(*seed, "seed", std::numeric_limits<uint64_t>::max());
  }
  if (const json* files = find_field(object, "files")) program.files = decode_program_files(*files);
  return program;
}

ProgramInput decode_program_input(const json& object) {
  ProgramInput input;
  const json* id = find_field(object, "id");
  if (!id || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    input.error = "a message needs 'id': the id of the program request it is for";
    return input;
  }
  input.id = id->get<std::string>();
  const json* content = find_field(object, "content");
  const json* end = find_field(object, "end");
  if (end && !(end->is_boolean() && end->get<bool>())) {
    input.error = "'end' must be true when present";
  } else if (end && content) {
    input.error = "a message has 'content' or 'end', not both";
  } else if (end) {
    input.end = true;
  } else if (!content) {
    input.error = "a message needs 'content' (or 'end': true)";
  } else {
    input.content = content->is_string()
                        ? content->get<std::string>()
                        : content->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return input;
}

}  // namespace

DecodedFrame decode_request(std::string_view line) {
  json object = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return UnparseableFrame{"frame is not valid JSON"};
  if (!object.is_object()) return UnparseableFrame{"frame is not a JSON object"};
  if (const json* type = find_field(object, "type"); type && *type == "auth") {
    const json* key = find_field(object, "key");
    AuthFrame auth{key && key->is_string() ? key->get<std::string>() : std::string(), {}};
    if (find_field(object, "id") || find_field(object, "messages")) {
      auth.request_id = read_id(object);
    }
    return auth;
  }
  if (const json* type = find_field(object, "type"); type && *type == "message") {
    return decode_program_input(object);
  }
  if (const json* program = find_field(object, "program")) {
    try {
      return decode_program(object, *program);
    } catch (const FieldError& error) {
      return InvalidRequest{read_id(object), error.message};
    }
  }
  DecodedRequest decoded;
  decoded.request.id = read_id(object);
  try {
    if (const json* id = find_field(object, "id"); id && !id->is_string()) {
      throw FieldError{"'id' must be a string"};
    }
    decode_spec_fields(object, decoded);
    decode_extensions(object, decoded.request.options);
  } catch (const FieldError& error) {
    return InvalidRequest{decoded.request.id, error.message};
  } catch (const json::exception& error) {
    return InvalidRequest{decoded.request.id, error.what()};
  }
  return decoded;
}

std::string encode_request(const GenerationRequest& request) {
  json object;
  object["id"] = request.id;
  json messages = json::array();
  for (const auto& message : request.messages) {
    messages.push_back(
        {{"role", std::string(to_string(message.role))}, {"content", message.content}});
  }
  object["messages"] = std::move(messages);
  const GenerationOptions& options = request.options;
  object["max_tokens"] = options.max_tokens;
  if (options.temperature) object["temperature"] = *options.temperature;
  if (options.top_p) object["top_p"] = *options.top_p;
  if (options.top_k) object["top_k"] = *options.top_k;
  if (options.min_p) object["min_p"] = *options.min_p;
  if (options.seed) object["seed"] = *options.seed;
  if (!options.stop.empty()) object["stop"] = options.stop;
  if (options.repeat_penalty) object["repeat_penalty"] = *options.repeat_penalty;
  if (options.presence_penalty) object["presence_penalty"] = *options.presence_penalty;
  if (options.frequency_penalty) object["frequency_penalty"] = *options.frequency_penalty;
  if (!options.grammar.empty()) object["grammar"] = options.grammar;
  return object.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string encode_auth(std::string_view key) {
  return json{{"type", "auth"}, {"key", std::string(key)}}.dump() + "\n";
}

}  // namespace weft::protocol
