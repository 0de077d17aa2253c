// One NDJSON channel of the program protocol over a connected socket (docs/programs.md):
// blocking reads of whole lines, and writes of whole lines that may come from several threads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sync/mutex.hpp"

namespace weft::program {

class LineChannel {
 public:
  static constexpr size_t kMaxLineBytes = size_t{64} << 20;

  // Takes ownership of `fd` (closed by the destructor).
  explicit LineChannel(int fd);
  ~LineChannel();
  LineChannel(const LineChannel&) = delete;
  LineChannel& operator=(const LineChannel&) = delete;

  // The next line without its '\n'; nullopt at the end of the stream (or after shutdown()).
  // Throws weft::Error for a line longer than kMaxLineBytes or a read error. One reader.
  std::optional<std::string> read_line();
  // Writes `line` and a '\n'; false when the peer is gone. Thread-safe.
  bool write_line(std::string_view line);
  // Ends both directions, so that a thread blocked in read_line() returns nullopt.
  void shutdown();

 private:
  int fd_;
  std::string buffer_;
  size_t scanned_ = 0;  // bytes of buffer_ known to hold no '\n'
  sync::Mutex write_mutex_;
};

}  // namespace weft::program
