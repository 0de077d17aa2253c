#include "backend/line_splitter.hpp"

#include "weft/error.hpp"

namespace weft::backend {

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
  std::vector<std::string> lines;
  while (!bytes.empty()) {
    size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      pending_.append(bytes);
      break;
    }
    pending_.append(bytes.substr(0, newline));
    bytes.remove_prefix(newline + 1);
    if (!pending_.empty() && pending_.back() == '\r') pending_.pop_back();
    lines.push_back(std::move(pending_));
    pending_.clear();
  }
  if (pending_.size() > kMaxLineBytes) {
    throw Error(ErrorCode::internal, "a line of the response is longer than " +
                                         std::to_string(kMaxLineBytes) + " bytes");
  }
  return lines;
}

std::string LineSplitter::take_rest() {
  std::string rest = std::move(pending_);
  pending_.clear();
  return rest;
}

}  // namespace weft::backend
