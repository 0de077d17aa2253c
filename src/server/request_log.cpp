#include "server/request_log.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

namespace weft::server {
namespace {

std::string milliseconds(std::chrono::nanoseconds duration) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f",
                std::chrono::duration<double, std::milli>(duration).count());
  return text;
}

// JSON string syntax is a well-known, unambiguous way to quote an arbitrary client id.
std::string json_quoted(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// `key="value"`, the value cut to kMaxLogFieldBytes on a character boundary and marked with
// "…", with `key_bytes=N` giving its real length: a client's 60 MB id must not become a 60 MB
// log line.
std::string field(const std::string& key, const std::string& value) {
  if (value.size() <= kMaxLogFieldBytes) return key + "=" + json_quoted(value);
  size_t cut = kMaxLogFieldBytes;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return key + "=" + json_quoted(std::string(value, 0, cut) + "\xE2\x80\xA6") + " " + key +
         "_bytes=" + std::to_string(value.size());
}

}  // namespace

std::string format_request_log(const RequestRecord& record) {
  std::string line = "request " + field("id", record.id) + " " + field("backend", record.backend) +
                     " prompt_tokens=" + std::to_string(record.prompt_tokens) +
                     " cached_prompt_tokens=" + std::to_string(record.cached_prompt_tokens) +
                     " completion_tokens=" + std::to_string(record.completion_tokens);
  line +=
      " ttft_ms=" + (record.time_to_first_token ? milliseconds(*record.time_to_first_token) : "-");
  line += " total_ms=" + milliseconds(record.total) + " stop_reason=" + record.stop_reason;
  if (record.error) line += " error=" + std::string(to_string(*record.error));
  if (!record.program.empty()) {
    line += ' ';
    line += field("program", record.program);
  }
  return line;
}

}  // namespace weft::server
