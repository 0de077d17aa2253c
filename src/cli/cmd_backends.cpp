#include <cstdio>

#include "cli/commands.hpp"
#include "weft/registry.hpp"

namespace weft::cli {

Command add_backends_command(CLI::App& app) {
  auto* sub =
      app.add_subcommand("backends", "List backends, whether each can serve now, and why not");
  return {sub, [] {
            auto registry = BackendRegistry::with_builtin_backends();
            for (const auto& name : registry.names()) {
              auto availability = registry.create(name)->available();
              std::printf("%-10s %s%s\n", name.c_str(),
                          availability.available ? "available" : "unavailable: ",
                          availability.reason.c_str());
            }
            auto selection = select_backend(registry, SelectionInputs::from_environment("", ""));
            std::printf("\nauto-selected without a model: %s (%s)\n", selection.backend.c_str(),
                        selection.rule.c_str());
            return 0;
          }};
}

}  // namespace weft::cli
