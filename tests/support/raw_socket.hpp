// A plain client socket for daemon tests that must control exactly what is sent and when
// (or whether) anything is read: floods, stalled readers, half-written lines.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace weft::testing {

class RawSocket {
 public:
  static RawSocket unix_socket(const std::string& path);
  static RawSocket tcp_loopback(uint16_t port);
  RawSocket(RawSocket&& other) noexcept;
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  RawSocket& operator=(RawSocket&&) = delete;
  ~RawSocket();

  int fd() const { return fd_; }

  struct Flood {
    int64_t sent = 0;
    int error = 0;  // errno of the send that failed, 0 when everything went
  };
  // Sends `total` bytes of `pattern` repeated; stops at the first error. A send that blocks
  // for `patience` counts as an error (EAGAIN), so a daemon that stops reading cannot hang
  // the test.
  Flood flood(const std::string& pattern, int64_t total, std::chrono::seconds patience);
  void send_all(const std::string& bytes);
  // True once the daemon has closed the connection (EOF or reset), reading and dropping
  // whatever it had sent before; false if it is still open after `patience`.
  bool closed_by_peer(std::chrono::seconds patience);
  // Reads exactly `bytes` bytes (fewer if the daemon closes first or 60 s pass).
  std::string read_some(size_t bytes);

 private:
  explicit RawSocket(int fd);
  void connect(const sockaddr* address, socklen_t length);
  int fd_ = -1;
};

// The errors a send gets once the daemon has closed the connection.
bool disconnected(int error);

}  // namespace weft::testing
