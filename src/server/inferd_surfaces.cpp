#include "server/inferd_surfaces.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "backend/native_backend.hpp"
#include "server/embed_session.hpp"
#include "server/listen_backlog.hpp"
#include "server/listeners.hpp"
#include "server/runtime_files.hpp"
#include "server/v2_generation.hpp"
#include "server/v2_session.hpp"
#include "weft/error.hpp"

namespace weft::server {

InferdSurfaces::InferdSurfaces(ServerContext& context, std::string v2_path, std::string embed_path)
    : context_(context), v2_path_(std::move(v2_path)), embed_path_(std::move(embed_path)) {}

void InferdSurfaces::check_paths() {
  prepare_socket_path(v2_path_);
  prepare_socket_path(embed_path_);
}

void InferdSurfaces::open(const Backend* backend) {
  v2_ = bind_unix(context_.io(), v2_path_, 0660);
  accept<V2Session>(v2_, v2_path_);
  if (backend_can_embed(backend)) {
    embed_ = bind_unix(context_.io(), embed_path_, 0660);
    accept<EmbedSession>(embed_, embed_path_);
  }
}

void InferdSurfaces::close() {
  // Unlinked first: no new connections while the backlog is taken in.
  ::unlink(v2_path_.c_str());
  ::unlink(embed_path_.c_str());
  if (v2_) {
    accept_backlog(*v2_, [this](asio::local::stream_protocol::socket socket) {
      start<V2Session>(std::move(socket), v2_path_);
    });
  }
  if (embed_) {
    accept_backlog(*embed_, [this](asio::local::stream_protocol::socket socket) {
      start<EmbedSession>(std::move(socket), embed_path_);
    });
  }
  for (auto* acceptor : {&v2_, &embed_}) {
    if (!*acceptor) continue;
    std::error_code ignored;
    (*acceptor)->close(ignored);
    acceptor->reset();
  }
}

void InferdSurfaces::close_connections() {
  connections_.close_all();
}

template <typename Session>
void InferdSurfaces::accept(std::unique_ptr<asio::local::stream_protocol::acceptor>& acceptor,
                            const std::string& path) {
  if (!acceptor) return;
  acceptor->async_accept([this, &acceptor, &path, current = acceptor.get()](
                             std::error_code error, asio::local::stream_protocol::socket socket) {
    const bool listening = current == acceptor.get();
    if (error == asio::error::operation_aborted || (error && !listening)) return;
    if (error) {
      context_.log(LogLevel::warn, "accept on " + path + " failed: " + error.message());
      auto timer =
          std::make_shared<asio::steady_timer>(context_.io(), std::chrono::milliseconds(100));
      timer->async_wait([this, &acceptor, &path, timer](std::error_code waited) {
        if (!waited) accept<Session>(acceptor, path);
      });
      return;
    }
    // Accepted just before the socket closed (a reload, a drain): served like the others.
    start<Session>(std::move(socket), path);
    if (listening) accept<Session>(acceptor, path);
  });
}

template <typename Session>
void InferdSurfaces::start(asio::local::stream_protocol::socket socket, const std::string& path) {
  // The v1 socket's connection limit counts these connections too.
  if (context_.session_count() + connections_.size() >= context_.max_connections()) {
    context_.log(LogLevel::warn, "refusing a connection on " + path +
                                     ": the connection limit (--max-connections) is reached");
    std::error_code ignored;
    socket.close(ignored);
    return;
  }
  auto session = std::make_shared<Session>(std::move(socket), context_);
  connections_.add(session);
  session->start();
}

nlohmann::json capabilities_frame(const Backend& backend, int32_t gpu_layers) {
  const auto decoder = decoder_config_for(&backend, /*tools=*/true);
  const auto* native = dynamic_cast<const backend::NativeBackend*>(&backend);
  const bool thinking =
      native && (decoder.starts_in_reasoning ||
                 native->chat_template_source().find("<think>") != std::string::npos);
  return {{"backend", backend.name()},
          {"v2", true},
          {"vision", false},
          {"audio", false},
          {"tools", decoder.tool_calls != chat::ToolCallFormat::none},
          {"thinking", thinking},
          {"embed", backend_can_embed(&backend)},
          {"accelerator", "cpu"},
          {"gpu_layers", gpu_layers},
          {"model", backend.model_info().name}};
}

void refuse_live_socket(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) return;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return;  // prepare_socket_path refuses it
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  const bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  if (live) {
    throw Error(ErrorCode::backend_unavailable,
                "a running daemon answers on " + path +
                    " (a real inferd?); stop it before starting weft serve --inferd-compat");
  }
}

}  // namespace weft::server
