// A listener the daemon starts and drains without knowing its protocol (the OpenAI and
// Ollama HTTP APIs, src/http/). The command line plugs it into `ServerOptions`, so that
// server/ does not depend on the layer that builds on it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "server/config.hpp"
#include "server/context.hpp"

namespace weft::server {

class Frontend {
 public:
  virtual ~Frontend() = default;
  // Binds (throws weft::Error when it cannot) and serves on its own threads. Returns the
  // line the daemon logs: where it listens.
  virtual std::string start() = 0;
  // Drain, after its timeout: cancels the generations still running.
  virtual void cancel_generations() = 0;
  // Stops accepting and waits for the requests in progress to finish.
  virtual void stop() = 0;
};

// What the daemon offers a frontend besides its context.
struct FrontendHooks {
  // Loads `path` as the model on the next reload and waits for it; false when it failed
  // (the old model stays) or a drain came first.
  std::function<bool(const std::string& path)> switch_model;
};

// Builds the frontend the configuration asks for, or nullptr when it asks for none.
using FrontendFactory = std::function<std::unique_ptr<Frontend>(
    ServerContext& context, const ServeConfig& config, FrontendHooks hooks)>;

}  // namespace weft::server
