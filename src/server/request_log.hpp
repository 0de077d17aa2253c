// The one structured log line written per request (logfmt: key=value, strings quoted).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "weft/events.hpp"

namespace weft::server {

struct RequestRecord {
  std::string id;
  std::string backend;
  uint32_t prompt_tokens = 0;
  uint32_t cached_prompt_tokens = 0;  // of prompt_tokens, reused from the prefix cache
  uint32_t completion_tokens = 0;
  std::optional<std::chrono::nanoseconds> time_to_first_token;  // none if no token came
  std::chrono::nanoseconds total{0};
  std::string stop_reason;  // end, length, cancelled, error
  std::optional<ErrorCode> error;
  std::string program;  // a program request's program name ("" for a generation)
};

// Longest client-given field (the id) written whole; longer ones are cut (format_request_log).
inline constexpr size_t kMaxLogFieldBytes = 256;

std::string format_request_log(const RequestRecord& record);

}  // namespace weft::server
