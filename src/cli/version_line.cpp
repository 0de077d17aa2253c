#include "cli/version_line.hpp"

#include <utility>
#include <vector>

#include "cli/build_commit.hpp"
#include "tensor/cpu_features.hpp"
#include "weft/error.hpp"
#include "weft/version.hpp"

namespace weft::cli {
namespace {

std::string features_in_use() try {
  const auto& features = tensor::cpu_features();
  const std::vector<std::pair<bool, const char*>> named = {{features.avx2, "avx2"},
                                                           {features.fma, "fma"},
                                                           {features.f16c, "f16c"},
                                                           {features.avx512f, "avx512f"},
                                                           {features.avx512bw, "avx512bw"},
                                                           {features.avx512vl, "avx512vl"},
                                                           {features.avx512vnni, "avx512vnni"}};
  std::string text;
  for (const auto& [present, name] : named) {
    if (!present) continue;
    if (!text.empty()) text += ' ';
    text += name;
  }
  return text.empty() ? "none (scalar kernels)" : text;
} catch (const Error& error) {  // a WEFT_CPU_LEVEL that is not a level
  return std::string("unknown: ") + error.what();
}

}  // namespace

std::string version_line() {
  return std::string("weft ") + kVersion + " (commit " + kBuildCommit +
         "; CPU features in use: " + features_in_use() + ")";
}

}  // namespace weft::cli
