#include "server/stream_connection.hpp"

#include "sync/mutex.hpp"

namespace weft::server {

StreamConnection::StreamConnection(Socket socket, ServerContext& context)
    : context_(context),
      socket_(std::move(socket)),
      strand_(asio::make_strand(socket_.get_executor())),
      write_deadline_(
          strand_, context, [this] { return !closed_ && writing_; }, [this] { close(); }) {}

void StreamConnection::start() {
  budget_ = open_budget_account(context_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->close_now();
  });
  outbox_->set_account(budget_);
  post([this] { read_more(); });
}

void StreamConnection::close_now() {
  post([this] { close(); });
}

void StreamConnection::read_more() {
  if (closed_) return;
  socket_.async_read_some(asio::buffer(read_buffer_),
                          asio::bind_executor(strand_, [self = shared_from_this()](
                                                           std::error_code error, size_t bytes) {
                            if (self->closed_) return;
                            if (bytes > 0)
                              self->on_bytes(std::string_view(self->read_buffer_.data(), bytes));
                            if (self->closed_) return;
                            self->budget_->set_input(self->buffered_input());
                            if (error) {
                              self->on_peer_closed();
                              return;
                            }
                            self->read_more();
                          }));
}

void StreamConnection::write(std::string frame, bool counted_by_worker) {
  if (!counted_by_worker) outbox_->add(frame.size());
  if (closed_) {
    outbox_->written(frame.size());
    return;
  }
  if (!output_fits(*outbox_, outgoing_.empty(), context_)) {
    outbox_->written(frame.size());
    close();
    return;
  }
  outgoing_.push_back(std::move(frame));
  if (!writing_) write_next();
}

void StreamConnection::write_next() {
  if (outgoing_.empty()) {
    writing_ = false;
    if (close_after_flush_) close();
    return;
  }
  if (!writing_) write_deadline_.started(shared_from_this());
  writing_ = true;
  // Piece by piece, so that a peer reading a large frame slowly counts as reading.
  const std::string& front = outgoing_.front();
  socket_.async_write_some(
      asio::buffer(front.data() + front_written_, front.size() - front_written_),
      asio::bind_executor(strand_,
                          [self = shared_from_this()](std::error_code error, size_t bytes) {
                            self->on_written(error, bytes);
                          }));
}

void StreamConnection::on_written(std::error_code error, size_t bytes) {
  if (error) {
    close();
    return;
  }
  outbox_->written(bytes);
  if (bytes > 0) write_deadline_.progressed();
  front_written_ += bytes;
  if (front_written_ == outgoing_.front().size()) {
    outgoing_.pop_front();
    front_written_ = 0;
  }
  if (!closed_) write_next();
}

void StreamConnection::close_after_flush() {
  close_after_flush_ = true;
  if (!writing_) close();
}

void StreamConnection::close() {
  if (closed_) return;
  closed_ = true;
  on_closing();
  outbox_->close();
  // A write in progress still refers to the front frame; the rest is dropped.
  if (writing_ && !outgoing_.empty()) {
    outgoing_.erase(outgoing_.begin() + 1, outgoing_.end());
  } else {
    outgoing_.clear();
  }
  write_deadline_.cancel();
  std::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
}

void ConnectionSet::add(const std::shared_ptr<StreamConnection>& connection) {
  sync::MutexLock lock(mutex_);
  forget_closed();
  connections_.push_back(connection);
}

size_t ConnectionSet::size() {
  sync::MutexLock lock(mutex_);
  forget_closed();
  return connections_.size();
}

void ConnectionSet::close_all() {
  sync::MutexLock lock(mutex_);
  for (auto& weak : connections_) {
    if (auto connection = weak.lock()) connection->close_now();
  }
  connections_.clear();
}

void ConnectionSet::forget_closed() {
  std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
}

}  // namespace weft::server
