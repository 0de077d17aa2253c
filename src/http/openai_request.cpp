#include "http/openai_request.hpp"

#include <limits>

#include "http/api_error.hpp"
#include "http/request_fields.hpp"
#include "http/sampling_fields.hpp"

namespace weft::http {
namespace {

using nlohmann::json;

std::string message_field(size_t index, const std::string& name) {
  return "messages[" + std::to_string(index) + "]." + name;
}

// A string, or an array of {"type":"text","text":…} parts joined; null is "".
std::string text_content(const json& content, const std::string& field) {
  if (content.is_null()) return "";
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) throw field_error(field, "must be a string or an array of parts");
  std::string text;
  for (const auto& part : content) {
    if (!part.is_object() || !part.contains("type")) {
      throw field_error(field, "parts must be objects with a type");
    }
    if (part["type"] != "text" || !part.contains("text") || !part["text"].is_string()) {
      throw field_error(field, "only text parts ({\"type\":\"text\",\"text\":…}) are supported");
    }
    text += part["text"].get<std::string>();
  }
  return text;
}

std::optional<Role> openai_role(const std::string& name) {
  if (name == "developer") return Role::system;
  return parse_role(name);
}

std::vector<MessageToolCall> read_tool_calls(const json& calls, const std::string& field) {
  if (!calls.is_array()) throw field_error(field, "must be an array");
  std::vector<MessageToolCall> out;
  for (const auto& call : calls) {
    if (!call.is_object() || !call.contains("function") || !call["function"].is_object()) {
      throw field_error(field, "items must be {\"type\":\"function\",\"function\":{…}}");
    }
    const auto& function = call["function"];
    MessageToolCall parsed;
    if (call.contains("id") && call["id"].is_string()) parsed.id = call["id"].get<std::string>();
    if (!function.contains("name") || !function["name"].is_string()) {
      throw field_error(field, "function.name must be a string");
    }
    parsed.name = function["name"].get<std::string>();
    if (function.contains("arguments")) {
      const auto& arguments = function["arguments"];
      parsed.arguments_json =
          arguments.is_string() ? arguments.get<std::string>() : arguments.dump();
    } else {
      parsed.arguments_json = "{}";
    }
    out.push_back(std::move(parsed));
  }
  return out;
}

ToolChoice read_tool_choice(const RequestFields& fields) {
  const json* value = fields.raw("tool_choice");
  ToolChoice choice;
  if (!value) return choice;
  if (value->is_string()) {
    const auto text = value->get<std::string>();
    if (text == "auto") return choice;
    if (text == "none") return {ToolChoice::Kind::none, ""};
    if (text == "required") return {ToolChoice::Kind::required, ""};
    throw field_error("tool_choice", "must be auto, none, required or a named function");
  }
  if (value->is_object() && value->contains("function") && (*value)["function"].is_object() &&
      (*value)["function"].contains("name") && (*value)["function"]["name"].is_string()) {
    return {ToolChoice::Kind::named, (*value)["function"]["name"].get<std::string>()};
  }
  throw field_error("tool_choice", "must be auto, none, required or a named function");
}

std::string read_openai_tools(const RequestFields& fields) {
  const json* tools = fields.array("tools");
  if (!tools || tools->empty()) return "";
  for (const auto& tool : *tools) {
    if (!tool.is_object() || !tool.contains("function") || !tool["function"].is_object() ||
        !tool["function"].contains("name") || !tool["function"]["name"].is_string()) {
      throw field_error("tools", "items must be {\"type\":\"function\",\"function\":{\"name\":…}}");
    }
  }
  return tools->dump();
}

OutputFormat read_response_format(const RequestFields& fields) {
  const json* format = fields.object("response_format");
  OutputFormat out;
  if (!format) return out;
  RequestFields inner(*format, "response_format.");
  auto type = inner.string("type").value_or("text");
  if (type == "text") return out;
  if (type == "json_object") {
    out.kind = OutputFormat::Kind::json_object;
    return out;
  }
  if (type == "json_schema") {
    const json* spec = inner.object("json_schema");
    if (!spec) throw field_error("response_format.json_schema", "is required for json_schema");
    RequestFields schema_fields(*spec, "response_format.json_schema.");
    const json* schema = schema_fields.object("schema");
    out.kind = OutputFormat::Kind::json_schema;
    out.schema = schema ? nlohmann::ordered_json(*schema) : nlohmann::ordered_json::object();
    return out;
  }
  throw field_error("response_format.type", "must be text, json_object or json_schema");
}

uint32_t read_max_tokens(const RequestFields& fields, uint32_t fallback) {
  // max_completion_tokens is the newer name; it wins when both are given.
  for (const char* name : {"max_completion_tokens", "max_tokens"}) {
    if (auto value = fields.integer(name, 1, kMostTokens)) return static_cast<uint32_t>(*value);
  }
  return fallback;
}

bool read_include_usage(const RequestFields& fields) {
  const json* options = fields.object("stream_options");
  if (!options) return false;
  return RequestFields(*options, "stream_options.").boolean("include_usage").value_or(false);
}

}  // namespace

Message parse_openai_message(const json& message, size_t index) {
  if (!message.is_object())
    throw field_error("messages[" + std::to_string(index) + "]", "must be an object");
  RequestFields fields(message, "messages[" + std::to_string(index) + "].");
  auto role_name = fields.string("role");
  if (!role_name) throw field_error(message_field(index, "role"), "is required");
  auto role = openai_role(*role_name);
  if (!role) {
    throw field_error(
        message_field(index, "role"),
        "must be system, developer, user, assistant or tool, not '" + *role_name + "'");
  }
  Message out;
  out.role = *role;
  auto content = message.find("content");
  out.content =
      content == message.end() ? "" : text_content(*content, message_field(index, "content"));
  out.name = fields.string("name").value_or("");
  out.tool_call_id = fields.string("tool_call_id").value_or("");
  if (const json* calls = fields.raw("tool_calls")) {
    out.tool_calls = read_tool_calls(*calls, message_field(index, "tool_calls"));
  }
  return out;
}

ChatCompletionRequest parse_chat_completion_request(const json& body) {
  RequestFields fields(body);
  ChatCompletionRequest request;
  request.model = fields.string("model").value_or("");
  const json* messages = fields.array("messages");
  if (!messages || messages->empty()) throw field_error("messages", "must be a non-empty array");
  for (size_t i = 0; i < messages->size(); ++i) {
    request.generation.messages.push_back(parse_openai_message((*messages)[i], i));
  }
  auto& options = request.generation.options;
  options.max_tokens = read_max_tokens(fields, kDefaultChatMaxTokens);
  read_sampling_fields(fields, options);
  options.logit_bias = read_logit_bias(fields);
  options.logprobs = fields.boolean("logprobs").value_or(false);
  if (auto top = fields.integer("top_logprobs", 0, 20)) {
    options.top_logprobs = static_cast<uint32_t>(*top);
    if (!options.logprobs && *top > 0) {
      throw field_error("top_logprobs", "needs logprobs set to true");
    }
  }
  request.n = static_cast<uint32_t>(fields.integer("n", 1, 16).value_or(1));
  request.stream = fields.boolean("stream").value_or(false);
  request.include_usage = read_include_usage(fields);
  (void)fields.string("user");
  request.generation.tools_json = read_openai_tools(fields);
  request.has_tools = !request.generation.tools_json.empty();
  request.tool_choice = read_tool_choice(fields);
  if (request.tool_choice.kind == ToolChoice::Kind::none) request.generation.tools_json.clear();
  if (request.tool_choice.kind == ToolChoice::Kind::named && !request.has_tools) {
    throw field_error("tool_choice", "names a function but no tools are given");
  }
  request.format = read_response_format(fields);
  return request;
}

CompletionRequest parse_completion_request(const json& body) {
  RequestFields fields(body);
  CompletionRequest request;
  request.model = fields.string("model").value_or("");
  const json* prompt = fields.raw("prompt");
  if (!prompt) throw field_error("prompt", "is required");
  auto token_ids = [](const json& array) {
    std::vector<int32_t> ids;
    for (const auto& id : array) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
          id.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
        throw field_error("prompt", "token ids must be non-negative integers");
      }
      ids.push_back(id.get<int32_t>());
    }
    return ids;
  };
  if (prompt->is_string()) {
    request.prompts.emplace_back(prompt->get<std::string>());
  } else if (prompt->is_array() && !prompt->empty()) {
    if ((*prompt)[0].is_number()) {
      request.prompts.emplace_back(token_ids(*prompt));
    } else {
      for (const auto& item : *prompt) {
        if (item.is_string()) {
          request.prompts.emplace_back(item.get<std::string>());
        } else if (item.is_array()) {
          request.prompts.emplace_back(token_ids(item));
        } else {
          throw field_error("prompt",
                            "must be a string, an array of strings, token ids or arrays of them");
        }
      }
    }
  } else {
    throw field_error("prompt", "must be a string, an array of strings or token ids (not empty)");
  }
  auto& options = request.options;
  options.max_tokens = read_max_tokens(fields, kDefaultCompletionMaxTokens);
  read_sampling_fields(fields, options);
  options.logit_bias = read_logit_bias(fields);
  if (auto count = fields.integer("logprobs", 0, 5)) {
    options.logprobs = true;
    options.top_logprobs = static_cast<uint32_t>(*count);
  }
  request.n = static_cast<uint32_t>(fields.integer("n", 1, 16).value_or(1));
  request.stream = fields.boolean("stream").value_or(false);
  request.include_usage = read_include_usage(fields);
  request.echo = fields.boolean("echo").value_or(false);
  (void)fields.string("user");
  return request;
}

EmbeddingsRequest parse_embeddings_request(const json& body) {
  RequestFields fields(body);
  EmbeddingsRequest request;
  request.model = fields.string("model").value_or("");
  const json* input = fields.raw("input");
  if (!input) throw field_error("input", "is required");
  if (input->is_array() && !input->empty() && (*input)[0].is_number()) {
    throw field_error("input", "token ids are not supported: give text");
  }
  request.inputs = fields.strings("input");
  if (request.inputs.empty()) throw field_error("input", "must not be empty");
  auto encoding = fields.string("encoding_format").value_or("float");
  if (encoding != "float" && encoding != "base64") {
    throw field_error("encoding_format", "must be float or base64");
  }
  request.base64 = encoding == "base64";
  return request;
}

}  // namespace weft::http
