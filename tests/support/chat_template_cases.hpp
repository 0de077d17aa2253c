// The reference renderings of the shared chat templates
// (../shared/models/chat-templates/expected/NAME.expected.json), one case at a time.
#pragma once

#include <ctime>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "support/shared_files.hpp"

namespace weft::test {

// The case named `case_name` of template `template_name`; throws when there is none.
inline nlohmann::ordered_json chat_template_case(const std::string& template_name,
                                                 const std::string& case_name) {
  const auto cases = nlohmann::ordered_json::parse(read_text_file(
      shared_path("models/chat-templates/expected/" + template_name + ".expected.json")));
  for (const auto& c : cases) {
    if (c.at("case") == case_name) return c;
  }
  throw std::runtime_error("no reference case " + template_name + "/" + case_name);
}

// The time the reference renderings were made at (models/README.md; the gpt-oss harmony
// cases use it too): 2026-11-22 09:30, a Sunday.
inline std::tm chat_template_reference_time() {
  std::tm time{};
  time.tm_year = 2026 - 1900;
  time.tm_mon = 10;
  time.tm_mday = 22;
  time.tm_hour = 9;
  time.tm_min = 30;
  time.tm_wday = 0;
  time.tm_yday = 325;
  return time;
}

}  // namespace weft::test
