// An in-process HTTP server for tests of the remote backends: routes are registered on
// `routes()` before `start()`; it listens on 127.0.0.1 at a free port.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weft::test {

// A one-way latch: handlers that must hold a response open wait on it; the test (or the
// server's destructor) opens it.
class Gate {
 public:
  void open();
  bool is_open() const;
  // True when opened within `timeout`.
  bool wait_for(std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable opened_;
  bool open_ = false;
};

class FakeHttpServer {
 public:
  FakeHttpServer();
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  httplib::Server& routes() { return server_; }
  void start();
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Opened when the server shuts down, so no handler blocks its stop.
  Gate& shutdown_gate() { return shutdown_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  Gate shutdown_;
};

// Streams `pieces` as separate HTTP chunks, in order, so that the client sees the body cut
// exactly where the test chose (as far as TCP keeps the writes apart).
void respond_in_pieces(httplib::Response& response, const std::string& content_type,
                       std::vector<std::string> pieces);

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int unused_local_port();

}  // namespace weft::test
