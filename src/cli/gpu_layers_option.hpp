// llama.cpp's `-ngl N` / `--n-gpu-layers N`, accepted so that command lines written for
// llama.cpp work; weft has no GPU backend, so the value is reported as ignored.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace weft::cli {

// CLI11 takes a single dash before one letter only (`-ngl` would read as `-n gl`), so `-ngl`
// and `-ngl=N` are renamed to `--n-gpu-layers` before parsing. Arguments after `--` are left.
std::vector<std::string> with_gpu_layers_spelled_long(std::vector<std::string> arguments);

void add_gpu_layers_option(CLI::App& app, std::optional<int>& gpu_layers);

// One line on stderr when the option was given.
void report_gpu_layers_ignored(const std::optional<int>& gpu_layers);

}  // namespace weft::cli
