// The events a generation produces: tokens, then exactly one terminal event.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "weft/error_code.hpp"
#include "weft/export.hpp"

namespace weft {

enum class StopReason { end, length, cancelled, error };

WEFT_EXPORT std::string_view to_string(StopReason reason);

struct WEFT_EXPORT Usage {
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  // Of prompt_tokens, those whose KV cache came from the prefix cache instead of being
  // computed (native backend); prompt_tokens − cached_prompt_tokens were prefilled.
  uint32_t cached_prompt_tokens = 0;
};

struct WEFT_EXPORT Timings {
  std::chrono::nanoseconds load{0};
  std::chrono::nanoseconds prompt{0};      // prompt processing (prefill)
  std::chrono::nanoseconds generation{0};  // from the first to the last generated token
  std::chrono::nanoseconds total{0};
  std::chrono::nanoseconds first_token{0};  // time to first token, from the request
};

// A token and its log-probability under the sampling distribution's plain softmax.
struct WEFT_EXPORT TokenLogprob {
  int32_t id = 0;
  std::string bytes;  // what the token contributes to the text (may be part of a UTF-8 char)
  float logprob = 0.0f;
};

struct WEFT_EXPORT TokenEvent {
  std::string text;                 // incremental text; may be empty while UTF-8 is pending
  std::optional<int32_t> token_id;  // where the backend knows it
  // When GenerationOptions::logprobs asked for them (native backend).
  std::optional<TokenLogprob> logprob{};
  std::vector<TokenLogprob> top_logprobs{};
};

struct WEFT_EXPORT DoneEvent {
  StopReason reason = StopReason::end;
  Usage usage;
  Timings timings;
  std::string backend;  // the backend that served the generation
};

struct WEFT_EXPORT ErrorEvent {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

using Event = std::variant<TokenEvent, DoneEvent, ErrorEvent>;

inline bool is_terminal(const Event& event) {
  return !std::holds_alternative<TokenEvent>(event);
}

}  // namespace weft
