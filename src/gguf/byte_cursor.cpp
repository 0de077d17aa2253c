#include "gguf/byte_cursor.hpp"

#include "weft/error.hpp"

namespace weft::gguf {

std::string ByteCursor::read_string(std::string_view what) {
  uint64_t start = offset_;
  auto length = read<uint64_t>(what);
  if (length > remaining()) {
    fail("length " + std::to_string(length) + " of " + std::string(what) +
             " runs past the end of the file (" + std::to_string(remaining()) + " bytes left)",
         start);
  }
  std::string text(reinterpret_cast<const char*>(bytes_.data() + offset_), length);
  offset_ += length;
  return text;
}

void ByteCursor::require(uint64_t count, std::string_view what) const {
  if (count > remaining()) {
    fail("truncated file: " + std::string(what) + " needs " + std::to_string(count) +
             " bytes but only " + std::to_string(remaining()) + " remain",
         offset_);
  }
}

void ByteCursor::fail(const std::string& problem, uint64_t at) const {
  throw Error(ErrorCode::invalid_request,
              source_ + ": " + problem + " (at byte offset " + std::to_string(at) + ")");
}

}  // namespace weft::gguf
