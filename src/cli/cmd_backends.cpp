#include <cstdio>

#include "cli/commands.hpp"
#include "cli/local_backend.hpp"

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
            // The same choice `weft run PROMPT` makes with no --backend and no --model.
            auto choice = choose_local_backend(registry, "", "");
            std::printf("\nweft run without --backend and --model uses: %s (%s)",
                        choice.selection.backend.c_str(), choice.selection.rule.c_str());
            if (choice.uses_bundled_model) std::printf(", model %s", choice.model.c_str());
            std::printf("\n");
            return 0;
          }};
}

}  // namespace weft::cli
