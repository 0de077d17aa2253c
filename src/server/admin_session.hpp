// One admin-socket connection: writes the bus's frames in order, ignores what the client
// writes, and is dropped when it falls kAdminBacklogLimit frames behind.
#pragma once

#include <atomic>
#include <deque>
#include "server/asio.hpp"

#include "server/admin_bus.hpp"

namespace weft::server {

class AdminSession : public AdminSubscriber, public std::enable_shared_from_this<AdminSession> {
 public:
  explicit AdminSession(asio::local::stream_protocol::socket socket);
  // Starts reading (to notice the close); call before subscribing.
  void start();
  bool deliver(SharedFrame frame) override;
  void drop() override;
  void finish() override;

 private:
  void read_and_discard();
  void write_next();
  void close();

  asio::local::stream_protocol::socket socket_;
  asio::strand<asio::any_io_executor> strand_;
  std::deque<SharedFrame> outgoing_;  // strand only
  bool writing_ = false;              // strand only
  bool closed_ = false;               // strand only
  bool finishing_ = false;            // strand only: close once `outgoing_` is written
  std::atomic<size_t> backlog_{0};
  std::array<char, 4096> discard_{};
};

}  // namespace weft::server
