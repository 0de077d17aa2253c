// The daemon's sockets: the admin socket (0600), the inference socket (0660) and the
// optional loopback TCP listener. Every method runs on the event loop's thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include "server/asio.hpp"

#include "server/admin_bus.hpp"
#include "server/context.hpp"
#include "server/inference_session.hpp"

namespace weft::server {

// A listening Unix socket at `path` (checked by prepare_socket_path first) with `mode`.
// Throws weft::Error naming the path when it cannot listen.
std::unique_ptr<asio::local::stream_protocol::acceptor> bind_unix(asio::io_context& io,
                                                                  const std::string& path,
                                                                  unsigned mode);

// "HOST:PORT" or "[V6]:PORT"; "localhost" means 127.0.0.1. Throws weft::Error for a
// malformed address or a non-loopback one without `allow_non_loopback`.
asio::ip::tcp::endpoint parse_tcp_endpoint(const std::string& text, bool allow_non_loopback);

// "127.0.0.1:47321" or "[::1]:47321".
std::string format_endpoint(const asio::ip::tcp::endpoint& endpoint);

class Listeners {
 public:
  Listeners(ServerContext& context, AdminBus& bus, std::string admin_path, std::string infer_path,
            std::optional<asio::ip::tcp::endpoint> tcp);

  void open_admin();
  void close_admin();
  // Before the model loads: fails fast when the inference socket path is unusable (a
  // symlink, a foreign file, too long) or the TCP port is taken. Nothing stays bound.
  void check_inference_paths();
  // The inference socket and, when configured, TCP: bound only while ready.
  void open_inference();
  void close_inference();
  std::optional<asio::ip::tcp::endpoint> tcp_endpoint() const;

 private:
  void accept_admin();
  void start_session(InferenceSession::Socket socket, InferenceSession::Transport transport);
  void start_unix_session(asio::local::stream_protocol::socket socket);
  void start_tcp_session(asio::ip::tcp::socket socket);
  void accept_unix();
  void accept_tcp();
  void retry_later(void (Listeners::*accept)());

  ServerContext& context_;
  AdminBus& bus_;
  const std::string admin_path_;
  const std::string infer_path_;
  const std::optional<asio::ip::tcp::endpoint> tcp_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> admin_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_;
  std::unique_ptr<asio::ip::tcp::acceptor> tcp_acceptor_;
};

}  // namespace weft::server
