#include "server/request_log.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace weft::server {
namespace {

std::string milliseconds(std::chrono::nanoseconds duration) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f",
                std::chrono::duration<double, std::milli>(duration).count());
  return text;
}

// JSON string syntax is a well-known, unambiguous way to quote an arbitrary client id.
std::string quoted(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string format_request_log(const RequestRecord& record) {
  std::string line = "request id=" + quoted(record.id) + " backend=" + quoted(record.backend) +
                     " prompt_tokens=" + std::to_string(record.prompt_tokens) +
                     " cached_prompt_tokens=" + std::to_string(record.cached_prompt_tokens) +
                     " completion_tokens=" + std::to_string(record.completion_tokens);
  line +=
      " ttft_ms=" + (record.time_to_first_token ? milliseconds(*record.time_to_first_token) : "-");
  line += " total_ms=" + milliseconds(record.total) + " stop_reason=" + record.stop_reason;
  if (record.error) line += " error=" + std::string(to_string(*record.error));
  return line;
}

}  // namespace weft::server
