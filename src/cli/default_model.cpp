#include <filesystem>

#include "cli/commands.hpp"

namespace weft::cli {

std::string default_model_path() {
  for (const char* candidate : {WEFT_SOURCE_MODEL, WEFT_INSTALLED_MODEL}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return {};
}

}  // namespace weft::cli
