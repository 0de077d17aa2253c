#include "backend/sse_parser.hpp"

namespace weft::backend {

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  std::vector<SseEvent> events;
  for (const auto& line : lines_.feed(bytes)) take_line(line, events);
  return events;
}

std::vector<SseEvent> SseParser::finish() {
  std::vector<SseEvent> events;
  if (auto rest = lines_.take_rest(); !rest.empty()) take_line(rest, events);
  if (has_data_) take_line("", events);
  return events;
}

void SseParser::take_line(const std::string& line, std::vector<SseEvent>& events) {
  if (line.empty()) {
    if (has_data_) events.push_back(std::move(current_));
    current_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;
  size_t colon = line.find(':');
  std::string_view field = std::string_view(line).substr(0, colon);
  std::string_view value;
  if (colon != std::string::npos) {
    value = std::string_view(line).substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.type = std::string(value);
  }
}

}  // namespace weft::backend
