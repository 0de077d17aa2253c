#include "protocol/runtime_dir.hpp"

#include <unistd.h>

#include <cstdlib>

namespace weft::protocol {

std::string resolve_runtime_dir(const EnvironmentLookup& lookup) {
  auto get = [&](const char* name) -> std::string {
    const char* value = lookup ? lookup(name) : std::getenv(name);
    return value ? value : "";
  };
  if (auto xdg = get("XDG_RUNTIME_DIR"); !xdg.empty()) return xdg + "/weft";
  if (auto home = get("HOME"); !home.empty()) return home + "/.weft/run";
  return "/tmp/weft-" + std::to_string(::getuid());
}

}  // namespace weft::protocol
