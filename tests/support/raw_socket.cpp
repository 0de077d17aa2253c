#include "support/raw_socket.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace weft::testing {

RawSocket RawSocket::unix_socket(const std::string& path) {
  RawSocket socket(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  socket.connect(reinterpret_cast<sockaddr*>(&address), sizeof(address));
  return socket;
}

RawSocket RawSocket::tcp_loopback(uint16_t port) {
  RawSocket socket(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socket.connect(reinterpret_cast<sockaddr*>(&address), sizeof(address));
  return socket;
}

RawSocket::RawSocket(int fd) : fd_(fd) {
  EXPECT_GE(fd_, 0) << std::strerror(errno);
}

RawSocket::RawSocket(RawSocket&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

void RawSocket::connect(const sockaddr* address, socklen_t length) {
  ASSERT_EQ(::connect(fd_, address, length), 0) << std::strerror(errno);
}

RawSocket::Flood RawSocket::flood(const std::string& pattern, int64_t total,
                                  std::chrono::seconds patience) {
  timeval timeout{static_cast<time_t>(patience.count()), 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  std::string chunk;
  while (chunk.size() < 64 * 1024) chunk += pattern;
  Flood result;
  while (result.sent < total) {
    const auto size = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(chunk.size()), total - result.sent));
    ssize_t sent = ::send(fd_, chunk.data(), size, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      result.error = errno;
      return result;
    }
    result.sent += sent;
  }
  return result;
}

void RawSocket::send_all(const std::string& bytes) {
  EXPECT_EQ(flood(bytes, static_cast<int64_t>(bytes.size()), std::chrono::seconds(30)).error, 0);
}

bool RawSocket::closed_by_peer(std::chrono::seconds patience) {
  timeval timeout{static_cast<time_t>(patience.count()), 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  char buffer[64 * 1024];
  while (true) {
    ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (got == 0) return true;
    if (got > 0) continue;
    if (errno == EINTR) continue;
    return errno == ECONNRESET || errno == EPIPE;
  }
}

std::string RawSocket::read_some(size_t bytes) {
  timeval timeout{60, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string text(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::recv(fd_, text.data() + got, bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

bool disconnected(int error) {
  return error == EPIPE || error == ECONNRESET;
}

}  // namespace weft::testing
