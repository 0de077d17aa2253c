// `weft-engine` / `weft engine --stdio`: the engine protocol on a pair of file descriptors.
#pragma once

#include <string>

#include "engine/engine_server.hpp"

namespace weft::engine {

struct StdioEngineOptions {
  EngineServerOptions server;
  std::string backend = "native";  // the registry's name of the backend that generates
  std::string model;               // loaded before the first command ("" = none)
  bool stdio = true;               // the transport (`weft engine --stdio`); the only one
};

// Serves commands from `input_fd` until `shutdown` or end of input, writing protocol lines
// to `output_fd` and nothing else. Returns the process exit status (0 after a clean end).
int run_stdio_engine(const StdioEngineOptions& options, int input_fd, int output_fd);

// As above on the process's stdin and stdout. stdout is first moved to a private descriptor
// and fd 1 pointed at stderr, so that no stray print anywhere in the process can put a
// non-protocol line on the host's pipe. SIGPIPE is ignored: a host that went away is seen
// as a failed write.
int run_stdio_engine_on_process_stdio(const StdioEngineOptions& options);

}  // namespace weft::engine
