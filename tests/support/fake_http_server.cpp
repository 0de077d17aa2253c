#include "support/fake_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <stdexcept>

namespace weft::test {

void Gate::open() {
  // Notified under the lock: a waiter that wakes may destroy the gate right away.
  std::lock_guard lock(mutex_);
  open_ = true;
  opened_.notify_all();
}

bool Gate::is_open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

bool Gate::wait_for(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return opened_.wait_for(lock, timeout, [&] { return open_; });
}

FakeHttpServer::FakeHttpServer() {
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("fake server: cannot bind 127.0.0.1");
}

FakeHttpServer::~FakeHttpServer() {
  shutdown_.open();
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

void FakeHttpServer::start() {
  auto listen_returned = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([this, listen_returned] {
    server_.listen_after_bind();
    *listen_returned = true;
  });
  // stop() is a no-op until the accept loop runs, so wait for it before any test proceeds.
  while (!server_.is_running() && !*listen_returned) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!server_.is_running()) throw std::runtime_error("fake server: listen failed");
}

void respond_in_pieces(httplib::Response& response, const std::string& content_type,
                       std::vector<std::string> pieces) {
  response.set_chunked_content_provider(
      content_type, [pieces = std::move(pieces)](size_t, httplib::DataSink& sink) {
        for (const auto& piece : pieces) {
          if (!sink.write(piece.data(), piece.size())) return false;
          // Pacing, not timing: gives each piece its own read on the client side.
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        sink.done();
        return true;
      });
}

int unused_local_port() {
  // Bound and closed without listen(): the kernel picked a free port and nothing accepts there.
  int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (socket_fd < 0) throw std::runtime_error("fake server: socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  bool ok = ::bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
            ::getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(socket_fd);
  if (!ok) throw std::runtime_error("fake server: cannot find a free port");
  return ntohs(address.sin_port);
}

}  // namespace weft::test
