#include "chat/multiline_message.hpp"

namespace weft::chat {
namespace {

constexpr std::string_view kQuotes = "\"\"\"";

bool starts_with_quotes(std::string_view line) {
  return line.substr(0, 3) == kQuotes;
}

bool ends_with_quotes(std::string_view line) {
  return line.size() >= 3 && line.substr(line.size() - 3) == kQuotes;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) text += '\n';
    text += lines[i];
  }
  return text;
}

}  // namespace

bool opens_multiline_block(std::string_view line) {
  return starts_with_quotes(line);
}

std::optional<std::string> MultilineMessage::feed(std::string_view line) {
  if (!in_block_) {
    if (!starts_with_quotes(line)) return std::string(line);
    std::string_view rest = line.substr(3);
    if (ends_with_quotes(rest)) return std::string(rest.substr(0, rest.size() - 3));
    in_block_ = true;
    lines_.clear();
    if (!rest.empty()) lines_.emplace_back(rest);
    return std::nullopt;
  }
  if (!ends_with_quotes(line)) {
    lines_.emplace_back(line);
    return std::nullopt;
  }
  std::string_view last = line.substr(0, line.size() - 3);
  if (!last.empty()) lines_.emplace_back(last);
  std::string message = join_lines(lines_);
  cancel();
  return message;
}

void MultilineMessage::cancel() {
  in_block_ = false;
  lines_.clear();
}

}  // namespace weft::chat
