#include "program/line_channel.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::program {

LineChannel::LineChannel(int fd) : fd_(fd) {}

LineChannel::~LineChannel() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::string> LineChannel::read_line() {
  while (true) {
    const auto newline = buffer_.find('\n', scanned_);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      scanned_ = 0;
      return line;
    }
    scanned_ = buffer_.size();
    if (buffer_.size() > kMaxLineBytes) {
      throw Error(ErrorCode::frame_too_large, "a program sent a line longer than " +
                                                  std::to_string(kMaxLineBytes >> 20) + " MiB");
    }
    char chunk[65536];
    const ssize_t got = ::read(fd_, chunk, sizeof(chunk));
    if (got == 0) return std::nullopt;
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET || errno == EBADF) return std::nullopt;
      throw Error(ErrorCode::internal,
                  std::string("reading from the program failed: ") + std::strerror(errno));
    }
    buffer_.append(chunk, static_cast<size_t>(got));
  }
}

bool LineChannel::write_line(std::string_view line) {
  const sync::MutexLock lock(write_mutex_);
  std::string framed(line);
  framed.push_back('\n');
  size_t written = 0;
  while (written < framed.size()) {
    const ssize_t wrote =
        ::send(fd_, framed.data() + written, framed.size() - written, MSG_NOSIGNAL);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    written += static_cast<size_t>(wrote);
  }
  return true;
}

void LineChannel::shutdown() {
  ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace weft::program
