// A blocking stream-socket connection that reads NDJSON lines (the client side).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/framing.hpp"
#include "weft/client.hpp"

namespace weft::client {

class Connection {
 public:
  // Throws ConnectFailure (below) carrying errno, so dial_and_wait_ready can classify it.
  static std::shared_ptr<Connection> open(const Address& address);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void write_all(std::string_view bytes);
  // The next line; nullopt on a clean EOF, or when `timeout` passes (then timed_out()).
  std::optional<std::string> read_line(std::optional<std::chrono::milliseconds> timeout = {});
  bool timed_out() const { return timed_out_; }
  bool closed() const { return fd_ < 0 || eof_; }
  void close();
  // Half-close: the peer sees EOF but can still answer what was sent.
  void shutdown_write();
  const Address& address() const { return address_; }

 private:
  Connection(int fd, Address address) : fd_(fd), address_(std::move(address)) {}
  int fd_ = -1;
  Address address_;
  protocol::FrameReader reader_;
  bool eof_ = false;
  bool timed_out_ = false;
};

struct ConnectFailure {
  int errno_value = 0;
  std::string message;
};

}  // namespace weft::client
