#include "protocol/framing.hpp"

namespace weft::protocol {
namespace {

// Capacity kept after a line was consumed; a larger buffer (left by a long line) is freed,
// so an idle connection holds little whatever it once sent.
constexpr size_t kRetainedCapacity = 16 * 1024;

}  // namespace

FrameReader::FrameReader(size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

void FrameReader::append(std::string_view bytes) {
  // Compact once the consumed prefix dominates, so the buffer stays proportional to the
  // unread data rather than to everything ever received.
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes);
}

void FrameReader::finish() {
  finished_ = true;
}

FrameReader::Status FrameReader::next(std::string& line) {
  size_t newline = buffer_.find('\n', start_ + scanned_);
  if (newline == std::string::npos) {
    scanned_ = buffer_.size() - start_;
    if (scanned_ > max_frame_bytes_) return Status::too_large;
    if (!finished_) return Status::need_more;
    if (scanned_ == 0) return Status::end;
    line.assign(buffer_, start_, scanned_);
    start_ = buffer_.size();
    scanned_ = 0;
    release_if_consumed();
    return Status::frame;
  }
  size_t length = newline - start_;
  if (length > max_frame_bytes_) return Status::too_large;
  line.assign(buffer_, start_, length);
  start_ = newline + 1;
  scanned_ = 0;
  release_if_consumed();
  return Status::frame;
}

void FrameReader::release_if_consumed() {
  if (start_ != buffer_.size()) return;
  start_ = 0;
  if (buffer_.capacity() > kRetainedCapacity) {
    std::string().swap(buffer_);
  } else {
    buffer_.clear();
  }
}

}  // namespace weft::protocol
