#include "http/ollama_request.hpp"

#include <limits>

#include "http/api_error.hpp"
#include "http/request_fields.hpp"
#include "http/sampling_fields.hpp"

namespace weft::http {
namespace {

using nlohmann::json;

std::optional<bool> read_think(const RequestFields& fields) {
  const json* think = fields.raw("think");
  if (!think) return std::nullopt;
  if (think->is_boolean()) return think->get<bool>();
  // Newer clients send an effort level; any level means "think".
  if (think->is_string()) return think->get<std::string>() != "none";
  throw field_error("think", "must be true, false or an effort level");
}

void refuse_images(const RequestFields& fields, const std::string& name) {
  const json* images = fields.raw("images");
  if (images && (!images->is_array() || !images->empty())) {
    throw field_error(name, "images are not supported: weft serves text models");
  }
}

Message parse_ollama_message(const json& message, size_t index) {
  const std::string at = "messages[" + std::to_string(index) + "]";
  if (!message.is_object()) throw field_error(at, "must be an object");
  RequestFields fields(message, at + ".");
  auto role_name = fields.string("role");
  if (!role_name) throw field_error(at + ".role", "is required");
  auto role = parse_role(*role_name);
  if (!role) {
    throw field_error(at + ".role",
                      "must be system, user, assistant or tool, not '" + *role_name + "'");
  }
  refuse_images(fields, at + ".images");
  Message out;
  out.role = *role;
  out.content = fields.string("content").value_or("");
  out.name = fields.string("tool_name").value_or(fields.string("name").value_or(""));
  out.tool_call_id = fields.string("tool_call_id").value_or("");
  if (const json* calls = fields.array("tool_calls")) {
    for (const auto& call : *calls) {
      if (!call.is_object() || !call.contains("function") || !call["function"].is_object() ||
          !call["function"].contains("name") || !call["function"]["name"].is_string()) {
        throw field_error(at + ".tool_calls", "items must be {\"function\":{\"name\":…}}");
      }
      const auto& function = call["function"];
      MessageToolCall parsed;
      parsed.name = function["name"].get<std::string>();
      if (call.contains("id") && call["id"].is_string()) parsed.id = call["id"].get<std::string>();
      auto arguments = function.find("arguments");
      parsed.arguments_json = arguments == function.end() ? "{}"
                              : arguments->is_string()    ? arguments->get<std::string>()
                                                          : arguments->dump();
      out.tool_calls.push_back(std::move(parsed));
    }
  }
  return out;
}

std::string read_ollama_tools(const RequestFields& fields) {
  const json* tools = fields.array("tools");
  if (!tools || tools->empty()) return "";
  for (const auto& tool : *tools) {
    if (!tool.is_object() || !tool.contains("function") || !tool["function"].is_object()) {
      throw field_error("tools", "items must be {\"type\":\"function\",\"function\":{…}}");
    }
  }
  return tools->dump();
}

}  // namespace

std::string ollama_model_field(const json& body) {
  RequestFields fields(body);
  if (auto model = fields.string("model")) return *model;
  return fields.string("name").value_or("");
}

void read_ollama_options(const json& body, GenerationOptions& options) {
  options.max_tokens = kDefaultChatMaxTokens;
  RequestFields top(body);
  const json* object = top.object("options");
  if (!object) return;
  RequestFields fields(*object, "options.");
  read_sampling_fields(fields, options);
  if (auto predict = fields.integer("num_predict", -2, kMostTokens)) {
    // -1 (until the model stops) and -2 (fill the context): the context caps it.
    if (*predict < 0) {
      options.max_tokens = static_cast<uint32_t>(kMostTokens);
    } else if (*predict == 0) {
      throw field_error("options.num_predict", "must not be 0");
    } else {
      options.max_tokens = static_cast<uint32_t>(*predict);
    }
  }
  (void)fields.integer("num_ctx", 1, std::numeric_limits<int32_t>::max());
}

OutputFormat read_ollama_format(const json& body) {
  const json* format = RequestFields(body).raw("format");
  OutputFormat out;
  if (!format) return out;
  if (format->is_string()) {
    if (format->get<std::string>().empty()) return out;
    if (format->get<std::string>() == "json") {
      out.kind = OutputFormat::Kind::json_object;
      return out;
    }
  } else if (format->is_object()) {
    out.kind = OutputFormat::Kind::json_schema;
    out.schema = nlohmann::ordered_json(*format);
    return out;
  }
  throw field_error("format", "must be \"json\" or a JSON Schema object");
}

OllamaChatRequest parse_ollama_chat_request(const json& body) {
  RequestFields fields(body);
  OllamaChatRequest request;
  request.model = ollama_model_field(body);
  if (const json* messages = fields.array("messages")) {
    for (size_t i = 0; i < messages->size(); ++i) {
      request.generation.messages.push_back(parse_ollama_message((*messages)[i], i));
    }
  }
  read_ollama_options(body, request.generation.options);
  request.stream = fields.boolean("stream").value_or(true);
  request.think = read_think(fields);
  request.format = read_ollama_format(body);
  request.generation.tools_json = read_ollama_tools(fields);
  request.has_tools = !request.generation.tools_json.empty();
  (void)fields.raw("keep_alive");
  return request;
}

OllamaGenerateRequest parse_ollama_generate_request(const json& body) {
  RequestFields fields(body);
  OllamaGenerateRequest request;
  request.model = ollama_model_field(body);
  request.prompt = fields.string("prompt").value_or("");
  if (!fields.string("suffix").value_or("").empty()) {
    throw field_error("suffix", "is not supported (fill-in-the-middle)");
  }
  refuse_images(fields, "images");
  read_ollama_options(body, request.generation.options);
  request.stream = fields.boolean("stream").value_or(true);
  request.think = read_think(fields);
  request.format = read_ollama_format(body);
  request.generation.raw_prompt = fields.boolean("raw").value_or(false);
  if (auto system = fields.string("system"); system && !system->empty()) {
    if (request.generation.raw_prompt) {
      throw field_error("system", "cannot be used with raw (the prompt is sent as it is)");
    }
    request.generation.messages.push_back({Role::system, *system});
  }
  if (const json* context = fields.array("context")) {
    for (const auto& id : *context) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
          id.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
        throw field_error("context", "must be an array of token ids");
      }
      request.context.push_back(id.get<int32_t>());
    }
  }
  (void)fields.raw("keep_alive");
  return request;
}

OllamaEmbedRequest parse_ollama_embed_request(const json& body, bool legacy) {
  RequestFields fields(body);
  OllamaEmbedRequest request;
  request.model = ollama_model_field(body);
  request.inputs = fields.strings(legacy ? "prompt" : "input");
  if (request.inputs.empty()) {
    throw field_error(legacy ? "prompt" : "input", "is required");
  }
  return request;
}

}  // namespace weft::http
