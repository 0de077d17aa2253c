// Sampling options shared by the subcommands that generate (run, chat, serve).
#pragma once

#include <CLI/CLI.hpp>

#include "weft/types.hpp"

namespace weft::cli {

// `-s` for --seed as in llama.cpp, where the command has no other use for -s.
enum class SeedShortFlag { no, yes };

void add_generation_options(CLI::App& app, GenerationOptions& options,
                            SeedShortFlag seed_flag = SeedShortFlag::no);

}  // namespace weft::cli
