// What `weft --version` prints: the version, the git commit the build was configured from and
// the CPU features the kernels use on this machine.
#pragma once

#include <string>

namespace weft::cli {

// e.g. "weft 0.1.0 (commit 4fa6166e3a1b; CPU features in use: avx2 fma f16c)"; the features
// are "none (scalar kernels)" when no SIMD path runs (no AVX2, or WEFT_CPU_LEVEL=scalar).
std::string version_line();

}  // namespace weft::cli
