#include "protocol/wire_v2_framing.hpp"

#include <cstdio>

namespace weft::protocol::v2 {

void append_uvarint(std::string& out, uint64_t value) {
  do {
    auto byte = static_cast<uint8_t>(value & 0x7F);
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (value != 0);
}

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + kMaxVarintBytes + 1);
  append_uvarint(out, payload.size());
  out.push_back(static_cast<char>(type));
  out.append(payload);
  return out;
}

FrameDecoder::FrameDecoder(size_t max_payload) : max_payload_(max_payload) {}

void FrameDecoder::append(std::string_view bytes) {
  if (!error_.empty()) return;  // nothing after a malformed frame is read
  compact();
  buffer_.append(bytes);
}

void FrameDecoder::finish() {
  finished_ = true;
}

FrameDecoder::Header FrameDecoder::read_header(uint64_t& length, size_t& header_bytes) {
  length = 0;
  const size_t available = buffer_.size() - start_;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (i >= available) return Header::incomplete;
    const auto byte = static_cast<uint8_t>(buffer_[start_ + i]);
    length |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) {
      header_bytes = i + 2;  // the varint and the type byte
      return available >= header_bytes ? Header::complete : Header::incomplete;
    }
  }
  return Header::malformed;
}

FrameDecoder::Status FrameDecoder::fail(Problem problem, std::string message) {
  if (error_.empty()) {
    error_ = std::move(message);
    problem_ = problem;
  }
  return Status::malformed;
}

FrameDecoder::Status FrameDecoder::next(Frame& frame) {
  if (!error_.empty()) return Status::malformed;
  const size_t available = buffer_.size() - start_;
  uint64_t length = 0;
  size_t header_bytes = 0;
  const Header header = read_header(length, header_bytes);
  if (header == Header::malformed) {
    return fail(Problem::varint_too_long, "frame length varint does not end within " +
                                              std::to_string(kMaxVarintBytes) + " bytes");
  }
  // The cap is checked as soon as the varint is known, before its payload is waited for.
  if (header_bytes > 0 && length > max_payload_) {
    return fail(Problem::too_large, "frame payload of " + std::to_string(length) +
                                        " bytes passes the limit of " +
                                        std::to_string(max_payload_) + " bytes");
  }
  if (header == Header::complete) {
    const auto type = static_cast<uint8_t>(buffer_[start_ + header_bytes - 1]);
    if (type != static_cast<uint8_t>(FrameType::json) &&
        type != static_cast<uint8_t>(FrameType::blob)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", type);
      return fail(Problem::unknown_type,
                  std::string("unknown frame type ") + hex + " (expected 0x01 JSON or 0x02 BLOB)");
    }
    if (available - header_bytes >= length) {
      frame.type = static_cast<FrameType>(type);
      frame.payload.assign(buffer_, start_ + header_bytes, length);
      start_ += header_bytes + length;
      return Status::frame;
    }
  }
  if (!finished_) return Status::need_more;
  if (available == 0) return Status::end;
  return fail(Problem::truncated, "the stream ended inside a frame (" + std::to_string(available) +
                                      " bytes of an incomplete frame)");
}

// Drops what was returned once it is most of the buffer, so the buffer follows the unread
// data; a large buffer left by a large frame is freed when nothing is pending.
void FrameDecoder::compact() {
  if (start_ == 0) return;
  if (start_ == buffer_.size()) {
    if (buffer_.capacity() > (64u << 10)) {
      std::string().swap(buffer_);
    } else {
      buffer_.clear();
    }
    start_ = 0;
  } else if (start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
}

}  // namespace weft::protocol::v2
