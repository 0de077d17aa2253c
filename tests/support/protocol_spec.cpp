#include "support/protocol_spec.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace weft::testing {
namespace {

std::string read_spec() {
  std::ifstream file(std::string(WEFT_SHARED_DIR) + "/PROTOCOLS.md");
  if (!file) throw std::runtime_error("cannot read " WEFT_SHARED_DIR "/PROTOCOLS.md");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string trim(std::string text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '`')) text.erase(text.begin());
  while (!text.empty() && (text.back() == ' ' || text.back() == '`')) text.pop_back();
  return text;
}

}  // namespace

std::map<std::string, RequestFieldSpec> inferd_request_fields() {
  std::string spec = read_spec();
  size_t start = spec.find("**Request**");
  size_t end = spec.find("**Responses**");
  if (start == std::string::npos || end == std::string::npos) {
    throw std::runtime_error("PROTOCOLS.md: request table not found");
  }
  std::map<std::string, RequestFieldSpec> fields;
  std::istringstream table(spec.substr(start, end - start));
  std::string line;
  while (std::getline(table, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream row(line.substr(1));
    std::string cell;
    while (std::getline(row, cell, '|')) cells.push_back(trim(cell));
    if (cells.size() < 4) continue;
    fields[cells[0]] = {cells[1], cells[2], cells[3]};
  }
  return fields;
}

std::vector<unsigned> image_token_budgets() {
  std::string rule = inferd_request_fields().at("image_token_budget").rule;
  std::vector<unsigned> budgets;
  std::string digits;
  for (char c : rule + " ") {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (!digits.empty()) {
      budgets.push_back(static_cast<unsigned>(std::stoul(digits)));
      digits.clear();
    }
  }
  return budgets;
}

}  // namespace weft::testing
