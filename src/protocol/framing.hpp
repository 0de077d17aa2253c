// NDJSON framing (PROTOCOLS §1): one JSON object per `\n`-terminated line, at most 64 MiB.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace weft::protocol {

inline constexpr size_t kMaxFrameBytes = 64u * 1024u * 1024u;

// Splits a byte stream into lines. Bytes arrive in arbitrary pieces; a line longer than
// the limit is reported as soon as it is known to be too long, without buffering it whole.
class FrameReader {
 public:
  explicit FrameReader(size_t max_frame_bytes = kMaxFrameBytes);

  enum class Status {
    frame,      // `line` holds the next frame (without its `\n`)
    need_more,  // no complete line buffered yet
    too_large,  // the next line passes the limit: the connection must close
    end,        // after finish(): everything was returned
  };

  void append(std::string_view bytes);
  // The peer sent EOF: a last line without `\n` is still a frame.
  void finish();
  Status next(std::string& line);
  bool finished() const { return finished_; }
  size_t buffered_bytes() const { return buffer_.size() - start_; }
  // What the buffer holds allocated: back to little once a large line has been consumed.
  size_t buffer_capacity() const { return buffer_.capacity(); }
  // Applies to the line not yet returned too (e.g. raised once a peer has authenticated).
  void set_max_frame_bytes(size_t max_frame_bytes) { max_frame_bytes_ = max_frame_bytes; }

 private:
  void release_if_consumed();

  size_t max_frame_bytes_;
  std::string buffer_;
  size_t start_ = 0;    // first byte of the line not yet returned
  size_t scanned_ = 0;  // bytes from start_ already known to hold no `\n`
  bool finished_ = false;
};

}  // namespace weft::protocol
