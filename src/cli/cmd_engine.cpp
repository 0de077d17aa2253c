#include <memory>

#include "cli/commands.hpp"
#include "cli/engine_options.hpp"

namespace weft::cli {

Command add_engine_command(CLI::App& app) {
  auto options = std::make_shared<engine::StdioEngineOptions>();
  auto* sub = app.add_subcommand(
      "engine",
      "Be an Infernet engine: the engine protocol v1 (NDJSON) on stdin and stdout, as the "
      "`weft-engine` executable (docs/engine-protocol.md)");
  sub->add_flag("--stdio", options->stdio,
                "Speak the protocol on stdin/stdout (the only transport)")
      ->required();
  add_engine_options(*sub, *options);
  return {sub, [options] { return run_engine_on_stdio(*options); }};
}

}  // namespace weft::cli
