#include "tensor/fast_kernels.hpp"

#include "tensor/fast_matmul_avx2.hpp"

namespace weft::tensor {

bool cpu_has_avx2_fma_f16c() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                                __builtin_cpu_supports("f16c");
  return supported;
#else
  return false;
#endif
}

void FastKernels::matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                         ThreadPool& pool) const {
  if (cpu_has_avx2_fma_f16c() && avx2_matmul_supports(w.type)) {
    avx2_matmul(w, x, n_rows, out, pool);
    return;
  }
  ReferenceKernels::matmul(w, x, n_rows, out, pool);
}

}  // namespace weft::tensor
