// A blocking stream-socket connection that reads NDJSON lines (the client side).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
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

// What the connect retry loop waits with; tests pass a fake clock so no time passes.
struct RetryClock {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
  static RetryClock real();
};

// dial_and_wait_ready's loop (PROTOCOLS §1): connects, retrying transient failures with a
// backoff of 100 ms doubling to at most 5 s until `timeout`; sends the auth line when a TCP
// address has a key. Throws weft::Error(backend_unavailable).
std::shared_ptr<Connection> open_when_ready(const Address& address,
                                            std::chrono::milliseconds timeout,
                                            const std::string& api_key, const RetryClock& clock);

}  // namespace weft::client
