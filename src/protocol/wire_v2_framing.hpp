// inferd wire v2 framing (inferd docs/protocol-v2.md §2, ADR 0021): every frame on the
// generation socket is a LEB128 `uvarint` payload length, one frame-type byte (0x01 JSON,
// 0x02 BLOB) and exactly that many payload bytes. The length is checked against the 64 MiB
// cap before any payload byte is buffered; a malformed stream cannot be resynchronised, so
// the reader reports it once and the connection closes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::protocol::v2 {

inline constexpr size_t kMaxFramePayload = 64u * 1024u * 1024u;
// 64 MiB needs 27 bits, 4 groups of 7; a varint still running at its 5th byte is malformed.
inline constexpr size_t kMaxVarintBytes = 5;

enum class FrameType : uint8_t { json = 0x01, blob = 0x02 };

struct Frame {
  FrameType type = FrameType::json;
  std::string payload;
};

// Appends `value` as an unsigned LEB128 varint.
void append_uvarint(std::string& out, uint64_t value);
// One frame on the wire: length, type byte, payload.
std::string encode_frame(FrameType type, std::string_view payload);

// Splits a byte stream into frames. Bytes arrive in arbitrary pieces.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_payload = kMaxFramePayload);

  enum class Status {
    frame,      // `frame` holds the next frame
    need_more,  // the next frame is not complete yet
    malformed,  // error() says why; the stream is no longer trustworthy
    end,        // after finish(): the stream ended cleanly between frames
  };

  // What made the stream malformed (the spec answers an oversize frame with its own code).
  enum class Problem { none, varint_too_long, too_large, unknown_type, truncated };

  void append(std::string_view bytes);
  // The peer sent EOF: a frame begun and not completed is then malformed (truncated).
  void finish();
  Status next(Frame& frame);
  const std::string& error() const { return error_; }
  Problem problem() const { return problem_; }
  size_t buffered_bytes() const { return buffer_.size() - start_; }

 private:
  enum class Header { complete, incomplete, malformed };
  Header read_header(uint64_t& length, size_t& header_bytes);
  Status fail(Problem problem, std::string message);
  void compact();

  size_t max_payload_;
  std::string buffer_;
  size_t start_ = 0;  // first byte of the frame not yet returned
  bool finished_ = false;
  std::string error_;
  Problem problem_ = Problem::none;
};

}  // namespace weft::protocol::v2
