// Sampling options shared by the subcommands that generate (run, chat, serve).
#pragma once

#include <CLI/CLI.hpp>

#include "weft/types.hpp"

namespace weft::cli {

void add_generation_options(CLI::App& app, GenerationOptions& options);

}  // namespace weft::cli
