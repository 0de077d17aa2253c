// The error codes of the public API: what kind of failure a weft::Error or an ErrorEvent
// reports. Apart from the events (weft/events.hpp) so that the lower layers, which throw
// weft::Error, do not see the generation protocol's types.
#pragma once

#include <string_view>
#include <weft/export.hpp>

namespace weft {

enum class ErrorCode {
  invalid_request,
  backend_unavailable,
  queue_full,
  internal,
  frame_too_large,
  // The prompt (with the chat template, and room for nothing else) does not fit the
  // model's context. A kind of invalid_request, kept apart so that a caller can shorten the
  // conversation and retry; protocols with a fixed code set send it as invalid_request.
  prompt_too_long
};

WEFT_EXPORT std::string_view to_string(ErrorCode code);

}  // namespace weft
