#include "tensor/fast_kernels.hpp"

#include "tensor/cpu_features.hpp"

#include "tensor/arm/fast_matmul_neon.hpp"
#include "tensor/x86/fast_attention_avx2.hpp"
#include "tensor/x86/fast_matmul_avx2.hpp"
#include "tensor/x86/fast_vector_avx2.hpp"

namespace weft::tensor {

void FastKernels::matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                         ThreadPool& pool) const {
  if (cpu_has_avx2_fma_f16c() && avx2_matmul_supports(w.type)) {
    avx2_matmul(w, x, n_rows, out, pool);
    return;
  }
  if (neon_matmul_supports(w.type)) {
    neon_matmul(w, x, n_rows, out, pool);
    return;
  }
  ReferenceKernels::matmul(w, x, n_rows, out, pool);
}

float FastKernels::dot(const float* a, const float* b, int64_t n) const {
  return cpu_has_avx2_fma_f16c() ? avx2_dot(a, b, n) : ReferenceKernels::dot(a, b, n);
}

void FastKernels::silu_mul(const float* gate, const float* up, int64_t n, float* out) const {
  if (cpu_has_avx2_fma_f16c()) {
    avx2_silu_mul(gate, up, n, out);
    return;
  }
  ReferenceKernels::silu_mul(gate, up, n, out);
}

void FastKernels::axpy(float a, const float* x, float* y, int64_t n) const {
  if (cpu_has_avx2_fma_f16c()) {
    avx2_axpy(a, x, y, n);
    return;
  }
  ReferenceKernels::axpy(a, x, y, n);
}

}  // namespace weft::tensor
