// `weft serve`: the daemon's lifecycle (PROTOCOLS §1–2). The admin socket comes first and
// publishes `starting`; the backend loads with `loading_model` phases; `capabilities`,
// then the inference socket and `ready`. SIGHUP reloads, SIGTERM/SIGINT drain and exit.
#pragma once

#include <functional>

#include "server/config.hpp"
#include "server/context.hpp"
#include "server/frontend.hpp"
#include "weft/registry.hpp"

namespace weft::server {

struct ServerOptions {
  ServeConfig config;
  // Re-reads the configuration on SIGHUP (backend and model settings take effect).
  std::function<ServeConfig()> reload_config;
  LogFunction log;
  BackendRegistry registry;
  // The HTTP APIs (`http::http_frontend`); empty: none, whatever `config.http` says.
  FrontendFactory http;
};

// Runs until drained. Returns the exit status; throws weft::Error when it cannot start
// (another daemon, a bad socket path, a backend that fails to load…).
int run_server(ServerOptions options);

}  // namespace weft::server
