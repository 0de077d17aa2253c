#include "server/listeners.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>

#include "protocol/response_codec.hpp"
#include "server/admin_session.hpp"
#include "server/inference_session.hpp"
#include "server/listen_backlog.hpp"
#include "server/runtime_files.hpp"
#include "weft/error.hpp"

namespace weft::server {

std::unique_ptr<asio::local::stream_protocol::acceptor> bind_unix(asio::io_context& io,
                                                                  const std::string& path,
                                                                  unsigned mode) {
  prepare_socket_path(path);
  auto acceptor = std::make_unique<asio::local::stream_protocol::acceptor>(io);
  std::error_code error;
  asio::local::stream_protocol::endpoint endpoint(path);
  acceptor->open(endpoint.protocol(), error);
  if (!error) acceptor->bind(endpoint, error);
  // The mode is set right after bind. Nobody else can write in the runtime directory (it is
  // created 0700; an existing one that others may write in is refused at start), so nobody
  // can swap the socket; a directory that others may traverse should be made 0700 too.
  if (!error && ::chmod(path.c_str(), mode) != 0)
    error = std::error_code(errno, std::generic_category());
  if (!error) acceptor->listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    throw Error(ErrorCode::backend_unavailable,
                "cannot listen on " + path + ": " + error.message());
  }
  return acceptor;
}

namespace {

void close_unix(std::unique_ptr<asio::local::stream_protocol::acceptor>& acceptor,
                const std::string& path) {
  if (!acceptor) return;
  std::error_code ignored;
  acceptor->close(ignored);
  acceptor.reset();
  ::unlink(path.c_str());
}

}  // namespace

asio::ip::tcp::endpoint parse_tcp_endpoint(const std::string& text, bool allow_non_loopback) {
  auto malformed = [&](const std::string& why) {
    return Error(ErrorCode::invalid_request,
                 "--tcp '" + text + "': " + why + " (expected HOST:PORT)");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) throw malformed("no port");
  std::string host = text.substr(0, colon);
  std::string port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  std::error_code error;
  auto address = asio::ip::make_address(host, error);
  if (error) throw malformed("'" + host + "' is not an IP address");
  // Digits only: a sign ("-1", "+80") is refused as such, not wrapped around.
  unsigned port = 0;
  auto [end, parse_error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || parse_error != std::errc() ||
      end != port_text.data() + port_text.size() || port > 65535) {
    throw malformed("port '" + port_text + "' is not a whole number from 0 to 65535");
  }
  if (!address.is_loopback() && !allow_non_loopback) {
    throw Error(ErrorCode::invalid_request,
                "--tcp " + text +
                    " is not a loopback address; anyone on the network could use "
                    "the daemon. Pass --allow-non-loopback (and set an API key) to bind it anyway");
  }
  return {address, static_cast<unsigned short>(port)};
}

Listeners::Listeners(ServerContext& context, AdminBus& bus, std::string admin_path,
                     std::string infer_path, std::optional<asio::ip::tcp::endpoint> tcp)
    : context_(context),
      bus_(bus),
      admin_path_(std::move(admin_path)),
      infer_path_(std::move(infer_path)),
      tcp_(tcp) {}

void Listeners::open_admin() {
  admin_ = bind_unix(context_.io(), admin_path_, 0600);
  accept_admin();
}

void Listeners::close_admin() {
  close_unix(admin_, admin_path_);
}

std::string format_endpoint(const asio::ip::tcp::endpoint& endpoint) {
  const std::string host = endpoint.address().to_string();
  return (endpoint.address().is_v6() ? "[" + host + "]" : host) + ":" +
         std::to_string(endpoint.port());
}

namespace {

// Opens and binds (without listening): a port that is taken fails here.
std::unique_ptr<asio::ip::tcp::acceptor> bind_tcp(asio::io_context& io,
                                                  const asio::ip::tcp::endpoint& endpoint,
                                                  std::error_code& error) {
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io);
  acceptor->open(endpoint.protocol(), error);
  if (!error) acceptor->set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor->bind(endpoint, error);
  return acceptor;
}

Error tcp_listen_error(const asio::ip::tcp::endpoint& endpoint, const std::error_code& error) {
  return Error(ErrorCode::backend_unavailable,
               "cannot listen on TCP " + format_endpoint(endpoint) + ": " + error.message());
}

}  // namespace

void Listeners::check_inference_paths() {
  prepare_socket_path(infer_path_);
  if (tcp_) {
    std::error_code error;
    auto probe = bind_tcp(context_.io(), *tcp_, error);
    if (error) throw tcp_listen_error(*tcp_, error);
    probe->close(error);
  }
}

void Listeners::open_inference() {
  unix_ = bind_unix(context_.io(), infer_path_, 0660);
  accept_unix();
  if (tcp_) {
    std::error_code error;
    auto acceptor = bind_tcp(context_.io(), *tcp_, error);
    if (!error) acceptor->listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      close_unix(unix_, infer_path_);
      throw tcp_listen_error(*tcp_, error);
    }
    tcp_acceptor_ = std::move(acceptor);
    accept_tcp();
  }
}

void Listeners::close_inference() {
  if (unix_) {
    ::unlink(infer_path_.c_str());  // no new connections while the backlog is taken in
    accept_backlog(*unix_, [this](asio::local::stream_protocol::socket socket) {
      start_unix_session(std::move(socket));
    });
  }
  close_unix(unix_, infer_path_);
  if (tcp_acceptor_) {
    accept_backlog(*tcp_acceptor_,
                   [this](asio::ip::tcp::socket socket) { start_tcp_session(std::move(socket)); });
    std::error_code ignored;
    tcp_acceptor_->close(ignored);
    tcp_acceptor_.reset();
  }
}

std::optional<asio::ip::tcp::endpoint> Listeners::tcp_endpoint() const {
  if (!tcp_acceptor_) return std::nullopt;
  std::error_code ignored;
  return tcp_acceptor_->local_endpoint(ignored);
}

namespace {

// Past --max-connections: one error frame, which goes at once into the new socket's empty
// send buffer, then close. Refusing beats leaving the peer in the listen backlog unanswered.
void refuse_connection(InferenceSession::Socket socket, uint32_t limit) {
  auto frame = std::make_shared<std::string>(
      protocol::encode_error("", ErrorCode::queue_full,
                             "the daemon serves at most " + std::to_string(limit) +
                                 " connections at once (--max-connections); retry later"));
  auto shared = std::make_shared<InferenceSession::Socket>(std::move(socket));
  asio::async_write(*shared, asio::buffer(*frame), [shared, frame](std::error_code, size_t) {
    std::error_code ignored;
    shared->shutdown(asio::socket_base::shutdown_both, ignored);
    shared->close(ignored);
  });
}

}  // namespace

void Listeners::start_session(InferenceSession::Socket socket,
                              InferenceSession::Transport transport) {
  const uint32_t limit = context_.max_connections();
  if (context_.session_count() >= limit) {
    context_.log(LogLevel::warn, "refusing a connection: " + std::to_string(limit) +
                                     " are open, the limit (--max-connections)");
    refuse_connection(std::move(socket), limit);
    return;
  }
  std::make_shared<InferenceSession>(std::move(socket), context_, transport)->start();
}

void Listeners::start_unix_session(asio::local::stream_protocol::socket socket) {
  InferenceSession::Socket generic(context_.io(), asio::generic::stream_protocol(AF_UNIX, 0),
                                   socket.release());
  start_session(std::move(generic), InferenceSession::Transport::unix_socket);
}

void Listeners::start_tcp_session(asio::ip::tcp::socket socket) {
  std::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  const int family = socket.local_endpoint(ignored).address().is_v6() ? AF_INET6 : AF_INET;
  InferenceSession::Socket generic(
      context_.io(), asio::generic::stream_protocol(family, IPPROTO_TCP), socket.release());
  start_session(std::move(generic), InferenceSession::Transport::tcp);
}

// Out of descriptors and similar: wait a little instead of spinning on a failing accept.
void Listeners::retry_later(void (Listeners::*accept)()) {
  auto timer = std::make_shared<asio::steady_timer>(context_.io(), std::chrono::milliseconds(100));
  timer->async_wait([this, accept, timer](std::error_code error) {
    if (!error) (this->*accept)();
  });
}

void Listeners::accept_admin() {
  if (!admin_) return;
  admin_->async_accept([this, acceptor = admin_.get()](
                           std::error_code error, asio::local::stream_protocol::socket socket) {
    if (error == asio::error::operation_aborted || acceptor != admin_.get()) return;
    if (error) {
      context_.log(LogLevel::warn, "admin accept failed: " + error.message());
      retry_later(&Listeners::accept_admin);
      return;
    }
    auto session = std::make_shared<AdminSession>(std::move(socket));
    session->start();
    bus_.subscribe(session);
    accept_admin();
  });
}

void Listeners::accept_unix() {
  if (!unix_) return;
  unix_->async_accept([this, acceptor = unix_.get()](std::error_code error,
                                                     asio::local::stream_protocol::socket socket) {
    const bool listening = acceptor == unix_.get();
    if (error == asio::error::operation_aborted || (error && !listening)) return;
    if (error) {
      context_.log(LogLevel::warn, "accept on " + infer_path_ + " failed: " + error.message());
      retry_later(&Listeners::accept_unix);
      return;
    }
    // Accepted just before the socket closed (a reload, a drain): served like the others.
    start_unix_session(std::move(socket));
    if (listening) accept_unix();
  });
}

void Listeners::accept_tcp() {
  if (!tcp_acceptor_) return;
  tcp_acceptor_->async_accept(
      [this, acceptor = tcp_acceptor_.get()](std::error_code error, asio::ip::tcp::socket socket) {
        const bool listening = acceptor == tcp_acceptor_.get();
        if (error == asio::error::operation_aborted || (error && !listening)) return;
        if (error) {
          context_.log(LogLevel::warn, "TCP accept failed: " + error.message());
          retry_later(&Listeners::accept_tcp);
          return;
        }
        start_tcp_session(std::move(socket));
        if (listening) accept_tcp();
      });
}

}  // namespace weft::server
