// AVX2+FMA vector operations behind FastKernels; call only when cpu_has_avx2_fma_f16c().
#pragma once

#include <cstdint>

namespace weft::tensor {

float avx2_dot(const float* a, const float* b, int64_t n);
void avx2_axpy(float a, const float* x, float* y, int64_t n);
// Widens n IEEE halves to float (exact, like fp16_to_fp32) with F16C.
void f16c_widen(const uint16_t* halves, float* out, int64_t n);

}  // namespace weft::tensor
