#include "protocol/runtime_dir.hpp"

#include <unistd.h>

#include <cstdlib>

namespace weft::protocol {

namespace {

// PROTOCOLS §1's rule for a daemon called `name`.
std::string runtime_dir_named(const EnvironmentLookup& lookup, const std::string& name) {
  auto get = [&](const char* variable) -> std::string {
    const char* value = lookup ? lookup(variable) : std::getenv(variable);
    return value ? value : "";
  };
  if (auto xdg = get("XDG_RUNTIME_DIR"); !xdg.empty()) return xdg + "/" + name;
  if (auto home = get("HOME"); !home.empty()) return home + "/." + name + "/run";
  return "/tmp/" + name + "-" + std::to_string(::getuid());
}

}  // namespace

std::string resolve_runtime_dir(const EnvironmentLookup& lookup) {
  return runtime_dir_named(lookup, "weft");
}

std::string resolve_inferd_runtime_dir(const EnvironmentLookup& lookup) {
  return runtime_dir_named(lookup, "inferd");
}

}  // namespace weft::protocol
