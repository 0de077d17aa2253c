#include "protocol/response_codec.hpp"

#include <nlohmann/json.hpp>

#include "protocol/base64.hpp"
#include "weft/error.hpp"

namespace weft::protocol {
namespace {

using nlohmann::ordered_json;

std::string to_line(const ordered_json& frame) {
  return frame.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string string_or_empty(const ordered_json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

uint32_t u32_or_zero(const ordered_json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_number_unsigned() ? found->get<uint32_t>() : 0;
}

// inferd's code set is fixed (PROTOCOLS.md): weft's finer codes go out as the one they refine.
std::string_view inferd_code(ErrorCode code) {
  return code == ErrorCode::prompt_too_long ? to_string(ErrorCode::invalid_request)
                                            : to_string(code);
}

client::Frame::Type frame_type(std::string_view type) {
  if (type == "token") return client::Frame::Type::token;
  if (type == "done") return client::Frame::Type::done;
  if (type == "error") return client::Frame::Type::error;
  if (type == "status") return client::Frame::Type::status;
  return client::Frame::Type::unknown;
}

}  // namespace

std::string encode_token(std::string_view id, std::string_view content) {
  return to_line({{"id", id}, {"type", "token"}, {"content", content}});
}

std::string encode_done(std::string_view id, std::string_view full_text, const Usage& usage,
                        StopReason reason, std::string_view backend) {
  return to_line(
      {{"id", id},
       {"type", "done"},
       {"content", full_text},
       {"usage",
        {{"prompt_tokens", usage.prompt_tokens}, {"completion_tokens", usage.completion_tokens}}},
       {"stop_reason", to_string(reason)},
       {"backend", backend}});
}

std::string encode_error(std::string_view id, ErrorCode code, std::string_view message) {
  return to_line(
      {{"id", id}, {"type", "error"}, {"code", inferd_code(code)}, {"message", message}});
}

std::string encode_program_message(std::string_view id, std::string_view message) {
  return to_line({{"id", id}, {"type", "message"}, {"content", message}});
}

std::string encode_program_file(std::string_view id, int64_t index, std::string_view bytes) {
  return to_line({{"id", id},
                  {"type", "file"},
                  {"index", index},
                  {"bytes", bytes.size()},
                  {"data", base64_encode(bytes)}});
}

std::string encode_message_refused(std::string_view id, ErrorCode code, std::string_view message) {
  return to_line(
      {{"id", id}, {"type", "message_refused"}, {"code", inferd_code(code)}, {"message", message}});
}

std::string encode_program_done(std::string_view id, std::string_view result_json,
                                std::string_view program, std::string_view backend) {
  // The keys of a generation's `done` too, so that a client that reads only those still
  // sees a well-formed end.
  return to_line({{"id", id},
                  {"type", "done"},
                  {"content", result_json},
                  {"usage", {{"prompt_tokens", 0}, {"completion_tokens", 0}}},
                  {"stop_reason", "end"},
                  {"backend", backend},
                  {"program", program}});
}

std::string encode_program_error(std::string_view id, ErrorCode code, std::string_view how,
                                 std::string_view message) {
  return to_line({{"id", id},
                  {"type", "error"},
                  {"code", inferd_code(code)},
                  {"message", message},
                  {"program_error", how}});
}

client::Frame decode_response(std::string_view line) {
  ordered_json object = ordered_json::parse(line.begin(), line.end(), nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    throw Error(ErrorCode::internal, "daemon sent a frame that is not a JSON object: " +
                                         std::string(line.substr(0, 200)));
  }
  client::Frame frame;
  frame.raw = std::string(line);
  frame.id = string_or_empty(object, "id");
  frame.type_name = string_or_empty(object, "type");
  frame.type = frame_type(frame.type_name);
  frame.content = string_or_empty(object, "content");
  frame.stop_reason = string_or_empty(object, "stop_reason");
  frame.backend = string_or_empty(object, "backend");
  frame.code = string_or_empty(object, "code");
  frame.message = string_or_empty(object, "message");
  frame.status = string_or_empty(object, "status");
  if (auto usage = object.find("usage"); usage != object.end() && usage->is_object()) {
    frame.usage.prompt_tokens = u32_or_zero(*usage, "prompt_tokens");
    frame.usage.completion_tokens = u32_or_zero(*usage, "completion_tokens");
  }
  return frame;
}

}  // namespace weft::protocol
