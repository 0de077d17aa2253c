// The OpenAI- and Ollama-compatible HTTP server of `weft serve --http` (docs/http.md). It
// shares the daemon's backend, admission limits and lifecycle: /health and the generation
// routes answer 503 until the daemon is ready and while it restarts or drains. cpp-httplib
// serves it from its own thread pool, one thread per open connection.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "http/http_service.hpp"
#include "server/config.hpp"
#include "server/frontend.hpp"

namespace weft::http {

// "HOST:PORT", "[V6]:PORT" or "" (= server::kDefaultHttpAddress), parsed like --tcp: a non-loopback
// host needs `allow_non_loopback`. Throws weft::Error.
void parse_http_address(const std::string& text, bool allow_non_loopback,
                        HttpServerOptions& options);

class HttpServer final : public server::Frontend {
 public:
  HttpServer(server::ServerContext& context, HttpServerOptions options);
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (throws weft::Error when the address cannot be bound) and serves on a thread.
  std::string start() override;
  void cancel_generations() override;
  void stop() override;
  std::string address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `weft serve`'s HTTP frontend (server::ServerOptions::http): the server `config.http` asks
// for, or nullptr when it is empty.
std::unique_ptr<server::Frontend> http_frontend(server::ServerContext& context,
                                                const server::ServeConfig& config,
                                                server::FrontendHooks hooks);

}  // namespace weft::http
