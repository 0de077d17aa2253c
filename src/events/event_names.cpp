// The names of the public event and message values (weft/events.hpp, weft/types.hpp): below
// every folder that reports them, tensor/ and gguf/ (through weft::Error) included.
#include "weft/events.hpp"
#include "weft/types.hpp"

namespace weft {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::system:
      return "system";
    case Role::user:
      return "user";
    case Role::assistant:
      return "assistant";
    case Role::tool:
      return "tool";
  }
  return "user";
}

std::optional<Role> parse_role(std::string_view name) {
  if (name == "system") return Role::system;
  if (name == "user") return Role::user;
  if (name == "assistant") return Role::assistant;
  if (name == "tool") return Role::tool;
  return std::nullopt;
}

std::string_view to_string(StopReason reason) {
  switch (reason) {
    case StopReason::end:
      return "end";
    case StopReason::length:
      return "length";
    case StopReason::cancelled:
      return "cancelled";
    case StopReason::error:
      return "error";
  }
  return "error";
}

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_request:
      return "invalid_request";
    case ErrorCode::backend_unavailable:
      return "backend_unavailable";
    case ErrorCode::queue_full:
      return "queue_full";
    case ErrorCode::internal:
      return "internal";
    case ErrorCode::frame_too_large:
      return "frame_too_large";
    case ErrorCode::prompt_too_long:
      return "prompt_too_long";
  }
  return "internal";
}

}  // namespace weft
