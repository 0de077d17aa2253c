#include "server/stream_connection.hpp"

namespace weft::server {

StreamConnection::StreamConnection(Socket socket, ServerContext& context)
    : context_(context),
      socket_(std::move(socket)),
      strand_(asio::make_strand(socket_.get_executor())) {}

void StreamConnection::start() {
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
  if (!outgoing_.empty() && outbox_->pending() > kOutputBudget) {
    context_.log(LogLevel::warn, "closing a connection that does not read its answers: more than " +
                                     std::to_string(kOutputBudget) + " bytes unwritten");
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
  writing_ = true;
  asio::async_write(socket_, asio::buffer(outgoing_.front()),
                    asio::bind_executor(
                        strand_, [self = shared_from_this()](std::error_code error, size_t bytes) {
                          self->outbox_->written(bytes);
                          if (!self->outgoing_.empty()) self->outgoing_.pop_front();
                          if (error) {
                            self->close();
                            return;
                          }
                          if (!self->closed_) self->write_next();
                        }));
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
  std::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
}

void ConnectionSet::add(const std::shared_ptr<StreamConnection>& connection) {
  std::lock_guard lock(mutex_);
  forget_closed();
  connections_.push_back(connection);
}

size_t ConnectionSet::size() {
  std::lock_guard lock(mutex_);
  forget_closed();
  return connections_.size();
}

void ConnectionSet::close_all() {
  std::lock_guard lock(mutex_);
  for (auto& weak : connections_) {
    if (auto connection = weak.lock()) connection->close_now();
  }
  connections_.clear();
}

void ConnectionSet::forget_closed() {
  std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
}

}  // namespace weft::server
