#include "protocol/wire_v2_messages.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "grammar/json_schema.hpp"
#include "protocol/json_fields.hpp"
#include "protocol/request_codec.hpp"
#include "protocol/wire_v2_framing.hpp"
#include "weft/error.hpp"

namespace weft::protocol::v2 {
namespace {

using Json = nlohmann::ordered_json;

// Thrown inside decoding only; becomes the request's error frame.
struct Refusal {
  std::string code;
  std::string message;
  bool close = false;
};

Refusal invalid(std::string message) {
  return {code::invalid_request, std::move(message)};
}

const std::string& require_string(const Json& object, const char* key, const std::string& where) {
  const Json* value = find_field(object, key);
  if (!value || !value->is_string()) throw invalid(where + "." + key + " must be a string");
  return value->get_ref<const std::string&>();
}

std::optional<uint32_t> optional_u32(const Json& object, const char* key) {
  const Json* value = find_field(object, key);
  if (!value) return std::nullopt;
  if (!value->is_number_unsigned() ||
      value->get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
    throw invalid(std::string("'") + key + "' must be an integer from 0 to 4294967295, got " +
                  value->dump());
  }
  return static_cast<uint32_t>(value->get<uint64_t>());
}

std::optional<float> optional_float(const Json& object, const char* key, float low, float high) {
  const Json* value = find_field(object, key);
  if (!value) return std::nullopt;
  if (!value->is_number()) throw invalid(std::string("'") + key + "' must be a number");
  const double wide = value->get<double>();
  if (!std::isfinite(wide) || wide < low || wide > high) {
    throw invalid(std::string("'") + key + "' must be between " + Json(low).dump() + " and " +
                  Json(high).dump() + ", got " + value->dump());
  }
  return static_cast<float>(wide);
}

bool optional_bool(const Json& object, const char* key, bool fallback) {
  const Json* value = find_field(object, key);
  if (!value) return fallback;
  if (!value->is_boolean()) throw invalid(std::string("'") + key + "' must be true or false");
  return value->get<bool>();
}

std::vector<Attachment> decode_attachments(const Json& request) {
  std::vector<Attachment> attachments;
  const Json* list = find_field(request, "attachments");
  if (!list) return attachments;
  if (!list->is_array()) throw invalid("'attachments' must be an array");
  // Refused before any BLOB is read; the BLOBs that follow cannot be skipped reliably.
  if (list->size() > kMaxAttachments) {
    throw Refusal{code::invalid_request,
                  "a request may declare at most " + std::to_string(kMaxAttachments) +
                      " attachments, this one declares " + std::to_string(list->size()),
                  true};
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    const std::string where = "attachments[" + std::to_string(i) + "]";
    if (!item.is_object()) throw Refusal{code::invalid_request, where + " must be an object", true};
    Attachment attachment;
    try {
      attachment.kind = require_string(item, "kind", where);
      attachment.id = require_string(item, "id", where);
    } catch (Refusal& refusal) {
      refusal.close = true;
      throw;
    }
    if (attachment.kind != "image" && attachment.kind != "audio" && attachment.kind != "video") {
      throw Refusal{code::attachment_unsupported,
                    where + ".kind \"" + attachment.kind + "\" is not a kind this daemon knows",
                    true};
    }
    if (attachment.kind == "image") {
      const Json* width = find_field(item, "width");
      const Json* height = find_field(item, "height");
      if (!width || !height || !width->is_number_unsigned() || !height->is_number_unsigned() ||
          width->get<uint64_t>() > UINT32_MAX || height->get<uint64_t>() > UINT32_MAX) {
        throw Refusal{code::invalid_request,
                      where + ": an image needs width and height (integers from 0 to 4294967295)",
                      true};
      }
      const uint64_t pixels_wide = width->get<uint64_t>();
      const uint64_t pixels_high = height->get<uint64_t>();
      // Checked by division: the product of two 32-bit sizes and 3 can pass 64 bits.
      if (pixels_high != 0 && pixels_wide > kMaxAttachmentBytes / 3 / pixels_high) {
        throw Refusal{code::frame_too_large,
                      where + ": a " + std::to_string(pixels_wide) + "×" +
                          std::to_string(pixels_high) + " image passes the " +
                          std::to_string(kMaxAttachmentBytes) + "-byte attachment budget",
                      true};
      }
      attachment.image_bytes = pixels_wide * pixels_high * 3;
    }
    if (!ids.insert(attachment.id).second) {
      throw Refusal{code::invalid_request, where + ".id \"" + attachment.id + "\" is not unique",
                    true};
    }
    attachments.push_back(std::move(attachment));
  }
  return attachments;
}

std::string text_of_blocks(const Json& blocks, const std::string& where) {
  if (!blocks.is_array()) throw invalid(where + " must be an array of content blocks");
  std::string text;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Json& block = blocks[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!block.is_object()) throw invalid(at + " must be an object");
    const Json* type = find_field(block, "type");
    if (!type || !type->is_string()) throw invalid(at + ".type must be a string");
    if (*type == "text") {
      if (!text.empty()) text += "\n";
      text += require_string(block, "text", at);
    }
  }
  return text;
}

// One MessageV2 becomes one weft message, with each tool_result block first as a `tool`
// message of its own (weft's chat templates take tool results that way).
void decode_message(const Json& value, size_t index, const std::vector<Attachment>& attachments,
                    std::vector<Message>& out) {
  const std::string where = "messages[" + std::to_string(index) + "]";
  if (!value.is_object()) throw invalid(where + " must be an object {role, content}");
  const std::string& role_name = require_string(value, "role", where);
  Message message;
  if (role_name == "system") {
    message.role = Role::system;
  } else if (role_name == "user") {
    message.role = Role::user;
  } else if (role_name == "assistant") {
    message.role = Role::assistant;
  } else {
    throw invalid(where + ".role must be \"system\", \"user\" or \"assistant\", got \"" +
                  role_name + "\"");
  }
  const Json* content = find_field(value, "content");
  if (!content || !content->is_array() || content->empty()) {
    throw invalid(where + ".content must be a non-empty array of content blocks");
  }
  for (size_t i = 0; i < content->size(); ++i) {
    const Json& block = (*content)[i];
    const std::string at = where + ".content[" + std::to_string(i) + "]";
    if (!block.is_object()) throw invalid(at + " must be an object");
    const Json* type_field = find_field(block, "type");
    if (!type_field || !type_field->is_string()) throw invalid(at + ".type must be a string");
    const std::string& type = type_field->get_ref<const std::string&>();
    if (type == "text") {
      if (!message.content.empty()) message.content += "\n";
      message.content += require_string(block, "text", at);
    } else if (type == "tool_use") {
      if (message.role != Role::assistant)
        throw invalid(at + ": tool_use belongs in an assistant turn");
      const Json* input = find_field(block, "input");
      if (!input || !input->is_object()) throw invalid(at + ".input must be a JSON object");
      message.tool_calls.push_back({require_string(block, "tool_call_id", at),
                                    require_string(block, "name", at), input->dump()});
    } else if (type == "tool_result") {
      if (message.role != Role::user) throw invalid(at + ": tool_result belongs in a user turn");
      Message result;
      result.role = Role::tool;
      result.tool_call_id = require_string(block, "tool_call_id", at);
      const Json* blocks = find_field(block, "content");
      result.content = blocks ? text_of_blocks(*blocks, at + ".content") : "";
      out.push_back(std::move(result));
    } else if (type == "image" || type == "audio" || type == "video") {
      const std::string& id = require_string(block, "attachment_id", at);
      bool declared = false;
      for (const auto& attachment : attachments) {
        declared = declared || (attachment.id == id && attachment.kind == type);
      }
      if (!declared) {
        throw invalid(at + ".attachment_id \"" + id + "\" names no " + type +
                      " attachment of this request");
      }
      // Accepted as a reference; the request is answered attachment_unsupported once its
      // BLOBs were read (weft encodes no images or audio).
    }
    // Unknown block types are ignored (spec §3.4: forward compatibility).
  }
  if (!message.content.empty() || !message.tool_calls.empty() ||
      std::none_of(content->begin(), content->end(),
                   [](const Json& block) { return block.value("type", "") == "tool_result"; })) {
    out.push_back(std::move(message));
  }
}

// Tool definitions in the OpenAI shape weft's chat templates are given.
std::string decode_tools(const Json& request) {
  const Json* tools = find_field(request, "tools");
  if (!tools) return "";
  if (!tools->is_array()) throw invalid("'tools' must be an array");
  if (tools->empty()) return "";
  Json converted = Json::array();
  std::set<std::string> names;
  for (size_t i = 0; i < tools->size(); ++i) {
    const Json& tool = (*tools)[i];
    const std::string where = "tools[" + std::to_string(i) + "]";
    if (!tool.is_object())
      throw invalid(where + " must be an object {name, description, input_schema}");
    const std::string& name = require_string(tool, "name", where);
    if (!names.insert(name).second) throw invalid(where + ".name \"" + name + "\" is not unique");
    Json function = {{"name", name}};
    if (const Json* description = find_field(tool, "description")) {
      if (!description->is_string()) throw invalid(where + ".description must be a string");
      function["description"] = *description;
    }
    const Json* schema = find_field(tool, "input_schema");
    if (schema && !schema->is_object())
      throw invalid(where + ".input_schema must be a JSON object");
    function["parameters"] = schema ? *schema : Json{{"type", "object"}};
    converted.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return converted.dump();
}

// response_format {type: json_schema, schema}: enforced with weft's grammar engine. Other
// types are ignored (spec §3.2a: future values), as the spec says a backend does with what
// it cannot enforce.
void decode_response_format(const Json& request, GenerationOptions& options) {
  const Json* format = find_field(request, "response_format");
  if (!format) return;
  if (!format->is_object()) throw invalid("'response_format' must be an object {type, schema}");
  const Json* type = find_field(*format, "type");
  if (!type || !type->is_string()) throw invalid("response_format.type must be a string");
  if (*type != "json_schema") return;
  const Json* schema = find_field(*format, "schema");
  if (!schema || !(schema->is_object() || schema->is_boolean())) {
    throw invalid("response_format.schema must be a JSON Schema object");
  }
  try {
    options.grammar = grammar::json_schema_to_gbnf(*schema);
  } catch (const std::exception& error) {
    throw invalid(std::string("response_format.schema holds a schema weft cannot enforce: ") +
                  error.what());
  }
}

void decode_sampling(const Json& request, GenerationOptions& options) {
  // The defaults of weft's v1 socket (PROTOCOLS §1), so both sockets sample alike.
  options.temperature =
      optional_float(request, "temperature", 0.0f, 100.0f).value_or(kDefaultTemperature);
  options.top_p = optional_float(request, "top_p", 0.0f, 1.0f).value_or(kDefaultTopP);
  options.top_k = optional_u32(request, "top_k").value_or(kDefaultTopK);
  options.max_tokens = optional_u32(request, "max_tokens").value_or(kDefaultMaxTokens);
  if (options.max_tokens == 0) throw invalid("'max_tokens' must be at least 1");
}

Request decode_fields(const Json& request, const std::string& id) {
  Request decoded;
  decoded.generation.id = id;
  decoded.attachments = decode_attachments(request);
  const Json* messages = find_field(request, "messages");
  if (!messages || !messages->is_array() || messages->empty()) {
    throw invalid("'messages' must be a non-empty array");
  }
  for (size_t i = 0; i < messages->size(); ++i) {
    decode_message((*messages)[i], i, decoded.attachments, decoded.generation.messages);
  }
  decoded.generation.tools_json = decode_tools(request);
  decoded.has_tools = !decoded.generation.tools_json.empty();
  decode_sampling(request, decoded.generation.options);
  decode_response_format(request, decoded.generation.options);
  decoded.stream = optional_bool(request, "stream", true);
  decoded.thinking = optional_bool(request, "thinking", false);
  return decoded;
}

std::string frame_of(const Json& body) {
  return encode_frame(FrameType::json, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace

std::variant<Request, Failure> decode_request(std::string_view payload) {
  Json request = Json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded() || !request.is_object()) {
    return Failure{"", code::invalid_request, "the request frame is not a JSON object"};
  }
  std::string id;
  if (const Json* value = find_field(request, "id"); value && value->is_string()) {
    id = value->get<std::string>();
  }
  // Checked before anything else is read (spec §6): a mismatch closes the connection.
  const Json* version = find_field(request, "wire_version");
  const uint64_t asked = version && version->is_number_unsigned() ? version->get<uint64_t>() : 0;
  if (asked != kWireVersion) {
    return Failure{id, code::wire_version_unsupported,
                   "wire_version " + (version ? version->dump() : std::string("0 (absent)")) +
                       " is not supported; this daemon speaks wire_version " +
                       std::to_string(kWireVersion),
                   true};
  }
  if (const Json* value = find_field(request, "id"); value && !value->is_string()) {
    return Failure{"", code::invalid_request, "'id' must be a string"};
  }
  try {
    return decode_fields(request, id);
  } catch (const Refusal& refusal) {
    return Failure{id, refusal.code, refusal.message, refusal.close};
  }
}

std::variant<BlobDescriptor, std::string> decode_blob_descriptor(std::string_view payload) {
  Json value = Json::parse(payload, nullptr, false);
  if (value.is_discarded() || !value.is_object())
    return std::string("a blob descriptor must be a JSON object");
  if (value.value("type", "") != "attachment_blob") {
    return std::string("expected {\"type\":\"attachment_blob\"} before each attachment's BLOB");
  }
  const Json* id = find_field(value, "attachment_id");
  const Json* len = find_field(value, "len");
  if (!id || !id->is_string()) return std::string("attachment_blob.attachment_id must be a string");
  if (!len || !len->is_number_unsigned())
    return std::string("attachment_blob.len must be an unsigned integer");
  return BlobDescriptor{id->get<std::string>(), len->get<uint64_t>()};
}

std::string encode_text_delta(const std::string& id, std::string_view delta) {
  return frame_of({{"id", id}, {"type", "frame"}, {"block", {{"type", "text"}, {"delta", delta}}}});
}

std::string encode_thinking_delta(const std::string& id, std::string_view delta) {
  return frame_of(
      {{"id", id}, {"type", "frame"}, {"block", {{"type", "thinking"}, {"delta", delta}}}});
}

std::string encode_tool_use(const std::string& id, const std::string& tool_call_id,
                            const std::string& name, const nlohmann::ordered_json& input) {
  return frame_of(
      {{"id", id},
       {"type", "frame"},
       {"block",
        {{"type", "tool_use"}, {"tool_call_id", tool_call_id}, {"name", name}, {"input", input}}}});
}

std::string encode_done(const std::string& id, uint32_t input_tokens, uint32_t output_tokens,
                        std::string_view stop_reason, const std::string& backend) {
  return frame_of({{"id", id},
                   {"type", "done"},
                   {"usage", {{"input_tokens", input_tokens}, {"output_tokens", output_tokens}}},
                   {"stop_reason", stop_reason},
                   {"backend", backend}});
}

std::string encode_error(const std::string& id, std::string_view code, std::string_view message) {
  return frame_of({{"id", id}, {"type", "error"}, {"code", code}, {"message", message}});
}

}  // namespace weft::protocol::v2
