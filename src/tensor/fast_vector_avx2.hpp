// AVX2+FMA vector operations behind FastKernels; call only when cpu_has_avx2_fma_f16c().
#pragma once

#include <cstdint>

namespace weft::tensor {

float avx2_dot(const float* a, const float* b, int64_t n);
void avx2_axpy(float a, const float* x, float* y, int64_t n);

}  // namespace weft::tensor
