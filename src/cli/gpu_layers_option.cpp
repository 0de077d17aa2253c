#include "cli/gpu_layers_option.hpp"

#include <cstdio>

namespace weft::cli {

std::vector<std::string> with_gpu_layers_spelled_long(std::vector<std::string> arguments) {
  for (auto& argument : arguments) {
    if (argument == "--") break;
    if (argument == "-ngl") {
      argument = "--n-gpu-layers";
    } else if (argument.rfind("-ngl=", 0) == 0) {
      argument = "--n-gpu-layers=" + argument.substr(5);
    }
  }
  return arguments;
}

void add_gpu_layers_option(CLI::App& app, std::optional<int>& gpu_layers) {
  app.add_option("--n-gpu-layers", gpu_layers,
                 "Accepted for llama.cpp compatibility (also -ngl N); ignored: this build has "
                 "no GPU backend");
}

void report_gpu_layers_ignored(const std::optional<int>& gpu_layers) {
  if (gpu_layers) std::fputs("weft: no GPU backend in this build; -ngl ignored\n", stderr);
}

}  // namespace weft::cli
