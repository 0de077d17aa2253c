#include "grammar/source_position.hpp"

#include <algorithm>

#include "weft/error.hpp"

namespace weft::grammar {

std::string describe_position(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset; ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') {
      ++line;
      column = 1;
    } else if ((byte & 0xC0) != 0x80) {  // continuation bytes belong to the same character
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

void throw_at(std::string_view text, size_t offset, const std::string& what) {
  throw Error(ErrorCode::invalid_request,
              "grammar:" + describe_position(text, offset) + ": " + what);
}

}  // namespace weft::grammar
