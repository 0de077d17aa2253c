#include "client/connection.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "weft/error.hpp"

namespace weft::client {
namespace {

std::string errno_text(int value) {
  return std::strerror(value);
}

int connect_unix(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    throw ConnectFailure{ENAMETOOLONG, "socket path is too long: " + path};
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ConnectFailure{errno, "socket(): " + errno_text(errno)};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    int error = errno;
    ::close(fd);
    throw ConnectFailure{error, "cannot connect to " + path + ": " + errno_text(error)};
  }
  return fd;
}

int connect_tcp(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  if (int status = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &results);
      status != 0) {
    // A name that does not resolve is a malformed address for our purposes: permanent.
    throw ConnectFailure{EINVAL, "cannot resolve " + where + ": " + ::gai_strerror(status)};
  }
  int last_error = ECONNREFUSED;
  for (addrinfo* entry = results; entry; entry = entry->ai_next) {
    int fd = ::socket(entry->ai_family, entry->ai_socktype | SOCK_CLOEXEC, entry->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    if (::connect(fd, entry->ai_addr, entry->ai_addrlen) == 0) {
      ::freeaddrinfo(results);
      return fd;
    }
    last_error = errno;
    ::close(fd);
  }
  ::freeaddrinfo(results);
  throw ConnectFailure{last_error, "cannot connect to " + where + ": " + errno_text(last_error)};
}

}  // namespace

std::shared_ptr<Connection> Connection::open(const Address& address) {
  int fd = address.kind == Address::Kind::unix_socket ? connect_unix(address.path)
                                                      : connect_tcp(address.host, address.port);
  return std::shared_ptr<Connection>(new Connection(fd, address));
}

Connection::~Connection() {
  close();
}

void Connection::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void Connection::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void Connection::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    if (fd_ < 0) throw Error(ErrorCode::backend_unavailable, "connection is closed");
    ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::backend_unavailable,
                  "write to " + address_.to_string() + " failed: " + errno_text(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
}

std::optional<std::string> Connection::read_line(std::optional<std::chrono::milliseconds> timeout) {
  timed_out_ = false;
  const auto deadline =
      std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
  std::string line;
  char buffer[65536];
  while (true) {
    switch (reader_.next(line)) {
      case protocol::FrameReader::Status::frame:
        return line;
      case protocol::FrameReader::Status::end:
        eof_ = true;
        return std::nullopt;
      case protocol::FrameReader::Status::too_large:
        throw Error(ErrorCode::frame_too_large, "daemon sent a frame over 64 MiB");
      case protocol::FrameReader::Status::need_more:
        break;
    }
    if (fd_ < 0) throw Error(ErrorCode::backend_unavailable, "connection is closed");
    if (timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd poller{fd_, POLLIN, 0};
      int ready = left.count() > 0 ? ::poll(&poller, 1, static_cast<int>(left.count())) : 0;
      if (ready == 0) {
        timed_out_ = true;
        return std::nullopt;
      }
      if (ready < 0 && errno == EINTR) continue;
    }
    ssize_t received = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) {
        reader_.finish();
        continue;
      }
      throw Error(ErrorCode::backend_unavailable,
                  "read from " + address_.to_string() + " failed: " + errno_text(errno));
    }
    if (received == 0) {
      reader_.finish();
      continue;
    }
    reader_.append(std::string_view(buffer, static_cast<size_t>(received)));
  }
}

}  // namespace weft::client
