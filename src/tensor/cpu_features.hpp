// What the CPU this process runs on can execute, detected once at run time so that one
// binary (built without -march flags) picks the fastest kernels each machine supports.
#pragma once

#include <string_view>

namespace weft::tensor {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
};

// The features of this CPU that the operating system has also enabled (AVX state saved on
// context switch), capped by the environment variable WEFT_CPU_LEVEL when it is set;
// computed on first call.
const CpuFeatures& cpu_features();

// `detected` without what lies above `level`: "avx512" (everything), "avx2" (no AVX-512,
// which is what most desktop and many cloud CPUs have) or "scalar" (no SIMD paths). Lets one
// machine measure and test the paths other machines run. Throws weft::Error for any other
// level.
CpuFeatures capped_cpu_features(CpuFeatures detected, std::string_view level);

// True when this CPU runs the AVX2 paths (AVX2, FMA and F16C all present).
bool cpu_has_avx2_fma_f16c();

}  // namespace weft::tensor
