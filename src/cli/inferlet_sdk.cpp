#include <cstdlib>
#include <filesystem>

#include "cli/commands.hpp"
#include "weft/error.hpp"

namespace weft::cli {

std::string inferlet_sdk_dir() {
  if (const char* override_dir = std::getenv("WEFT_SDK_DIR"); override_dir && *override_dir) {
    return override_dir;
  }
  for (const char* candidate : {WEFT_SOURCE_SDK, WEFT_INSTALLED_SDK}) {
    if (std::filesystem::exists(std::filesystem::path(candidate) / "runner.mjs")) return candidate;
  }
  throw Error("the inferlet SDK was not found (looked in " + std::string(WEFT_SOURCE_SDK) +
              " and " + WEFT_INSTALLED_SDK + "); set WEFT_SDK_DIR to its sdk/js directory");
}

}  // namespace weft::cli
