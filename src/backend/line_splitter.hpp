// Cuts a byte stream that arrives in arbitrary pieces into lines. Pieces may end anywhere,
// also inside a multi-byte UTF-8 character: bytes are only ever handed on as whole lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weft::backend {

class LineSplitter {
 public:
  // A line longer than this is bad input (a server gone wrong), not something to buffer.
  static constexpr size_t kMaxLineBytes = 16 * 1024 * 1024;

  // Returns the lines completed by `bytes`, without "\n" or "\r\n". Throws weft::Error
  // when a line grows past kMaxLineBytes.
  std::vector<std::string> feed(std::string_view bytes);
  // The unterminated rest at the end of the stream (empty when the stream ended cleanly).
  std::string take_rest();

 private:
  std::string pending_;
};

}  // namespace weft::backend
