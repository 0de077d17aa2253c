// What the inferd v2 generation socket and the embeddings socket share: one accepted Unix
// connection that reads on its strand, hands the bytes to its protocol, writes frames in
// order, and cancels its work when the peer goes. Output is bounded as on the v1 socket
// (server/connection_output.hpp): a peer that does not read its answers, or stops reading
// for the write timeout, is cut off.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include "server/asio.hpp"

#include "server/connection_output.hpp"
#include "server/context.hpp"
#include "server/generation_job.hpp"
#include "sync/mutex.hpp"

namespace weft::server {

class StreamConnection : public std::enable_shared_from_this<StreamConnection> {
 public:
  using Socket = asio::local::stream_protocol::socket;
  static constexpr size_t kReadBuffer = 64u << 10;

  StreamConnection(Socket socket, ServerContext& context);
  virtual ~StreamConnection() = default;
  void start();
  // Any thread: closes now, cancelling the work in flight.
  void close_now();

 protected:
  // On the strand.
  virtual void on_bytes(std::string_view bytes) = 0;
  virtual void on_peer_closed() = 0;
  // On the strand, once, when the connection closes: stop the work in flight.
  virtual void on_closing() = 0;
  // On the strand: the bytes read but not yet handled, charged to the daemon-wide budget.
  virtual size_t buffered_input() const = 0;

  // On the strand. `counted_by_worker`: a worker already added the bytes to the outbox.
  void write(std::string frame, bool counted_by_worker = false);
  void close_after_flush();
  void close();
  bool closed() const { return closed_; }
  // Closed, or closing once the queued frames are written: read nothing more.
  bool closing() const { return closed_ || close_after_flush_; }
  // Posts `work` onto this connection's strand, keeping it alive meanwhile.
  template <typename Work>
  void post(Work work) {
    asio::post(strand_, [self = shared_from_this(), work = std::move(work)]() mutable { work(); });
  }

  ServerContext& context_;
  std::shared_ptr<Outbox> outbox_ = std::make_shared<Outbox>();

 private:
  std::shared_ptr<BudgetAccount> budget_;
  void read_more();
  void write_next();
  void on_written(std::error_code error, size_t bytes);

  Socket socket_;
  asio::strand<asio::any_io_executor> strand_;
  std::vector<char> read_buffer_ = std::vector<char>(kReadBuffer);
  std::deque<std::string> outgoing_;
  size_t front_written_ = 0;  // bytes of outgoing_.front() already written
  WriteDeadline write_deadline_;
  bool writing_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
};

// The open connections of one listener, so a drain can close them. Thread-safe.
class ConnectionSet {
 public:
  void add(const std::shared_ptr<StreamConnection>& connection);
  size_t size();
  void close_all();

 private:
  void forget_closed() WEFT_REQUIRES(mutex_);

  sync::Mutex mutex_;
  std::vector<std::weak_ptr<StreamConnection>> connections_ WEFT_GUARDED_BY(mutex_);
};

}  // namespace weft::server
