// The inferd v2 surfaces beside weft's v1 socket (inferd docs/protocol-v2.md §1): the
// generation socket `inferd.sock` (wire v2) and, when the loaded backend computes
// embeddings, `infer.embed.sock`. Like the v1 socket they are bound only while ready, with
// the same path checks, and share the daemon's admission. Every method but close_all runs on
// the event loop's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>
#include "server/asio.hpp"

#include <nlohmann/json.hpp>

#include "server/context.hpp"
#include "server/stream_connection.hpp"

namespace weft::server {

class InferdSurfaces {
 public:
  InferdSurfaces(ServerContext& context, std::string v2_path, std::string embed_path);

  // Before the model loads: fails fast on an unusable path.
  void check_paths();
  void open(const Backend* backend);
  void close();
  // Any thread: closes the open connections (their work is cancelled).
  void close_connections();
  bool embeddings_open() const { return embed_ != nullptr; }

 private:
  template <typename Session>
  void accept(std::unique_ptr<asio::local::stream_protocol::acceptor>& acceptor,
              const std::string& path);
  template <typename Session>
  void start(asio::local::stream_protocol::socket socket, const std::string& path);

  ServerContext& context_;
  const std::string v2_path_;
  const std::string embed_path_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> v2_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> embed_;
  ConnectionSet connections_;
};

// The admin socket's `capabilities` frame (PROTOCOLS §2, inferd protocol-v2.md §1):
// `v2: true` (weft always serves inferd.sock), `embed` when the backend computes embeddings,
// `tools`/`thinking` when the model's chat template has tool-call or reasoning syntax.
nlohmann::json capabilities_frame(const Backend& backend, int32_t gpu_layers);

// --inferd-compat: a socket in inferd's directory that a live peer answers on belongs to a
// running inferd (or another daemon) even when no lock says so; throws weft::Error naming it.
void refuse_live_socket(const std::string& path);

}  // namespace weft::server
