// The options of `weft engine --stdio` and of the `weft-engine` executable (the same engine,
// the second for hosts that run their engine binary with no arguments).
#pragma once

#include <CLI/CLI.hpp>

#include "engine/stdio_engine.hpp"

namespace weft::cli {

void add_engine_options(CLI::App& app, engine::StdioEngineOptions& options);

// Fills what the options left unset from the environment (INFERNET_ENGINE_MODEL, the models
// directory) and runs the engine on the process's stdio.
int run_engine_on_stdio(engine::StdioEngineOptions options);

}  // namespace weft::cli
