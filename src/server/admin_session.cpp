#include "server/admin_session.hpp"

namespace weft::server {

AdminSession::AdminSession(asio::local::stream_protocol::socket socket)
    : socket_(std::move(socket)), strand_(asio::make_strand(socket_.get_executor())) {}

void AdminSession::start() {
  asio::post(strand_, [self = shared_from_this()] { self->read_and_discard(); });
}

void AdminSession::read_and_discard() {
  socket_.async_read_some(
      asio::buffer(discard_),
      asio::bind_executor(strand_, [self = shared_from_this()](std::error_code error, size_t) {
        if (error) {
          self->close();
          return;
        }
        self->read_and_discard();
      }));
}

bool AdminSession::deliver(SharedFrame frame) {
  if (backlog_.fetch_add(1) + 1 > kAdminBacklogLimit) return false;
  asio::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
    if (self->closed_) return;
    self->outgoing_.push_back(std::move(frame));
    if (!self->writing_) self->write_next();
  });
  return true;
}

void AdminSession::write_next() {
  if (outgoing_.empty() || closed_) {
    writing_ = false;
    if (finishing_) close();
    return;
  }
  writing_ = true;
  auto frame = outgoing_.front();
  asio::async_write(socket_, asio::buffer(*frame),
                    asio::bind_executor(
                        strand_, [self = shared_from_this(), frame](std::error_code error, size_t) {
                          self->outgoing_.pop_front();
                          self->backlog_.fetch_sub(1);
                          if (error) {
                            self->close();
                            return;
                          }
                          self->write_next();
                        }));
}

void AdminSession::drop() {
  asio::post(strand_, [self = shared_from_this()] { self->close(); });
}

void AdminSession::finish() {
  asio::post(strand_, [self = shared_from_this()] {
    self->finishing_ = true;
    if (!self->writing_) self->close();
  });
}

void AdminSession::close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace weft::server
