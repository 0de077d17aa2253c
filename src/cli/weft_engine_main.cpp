// `weft-engine`: the engine an Infernet host runs with no arguments
// (INFERNET_ENGINE_BIN=/usr/local/bin/weft-engine); the same as `weft engine --stdio`.
#include <cstdio>
#include <exception>

#include "cli/engine_options.hpp"
#include "weft/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"weft-engine: weft as an Infernet engine (engine protocol v1, NDJSON on stdio)"};
  app.name("weft-engine");
  app.set_version_flag("--version", std::string("weft-engine ") + weft::kVersion);
  weft::engine::StdioEngineOptions options;
  weft::cli::add_engine_options(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help_or_version) {
    return app.exit(help_or_version);
  } catch (const CLI::ParseError& error) {
    std::fprintf(stderr, "weft-engine: error: %s (see weft-engine --help)\n", error.what());
    return 2;
  }
  try {
    return weft::cli::run_engine_on_stdio(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "weft-engine: error: %s\n", error.what());
    return 1;
  }
}
