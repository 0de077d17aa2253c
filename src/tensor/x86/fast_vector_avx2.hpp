// AVX2+FMA vector operations behind FastKernels; call only when cpu_has_avx2_fma_f16c().
#pragma once

#include <cstdint>

namespace weft::tensor {

float avx2_dot(const float* a, const float* b, int64_t n);
void avx2_axpy(float a, const float* x, float* y, int64_t n);
// Widens n IEEE halves to float (exact, like fp16_to_fp32) with F16C.
void f16c_widen(const uint16_t* halves, float* out, int64_t n);
// Widens `blocks` Q8_0 blocks (34 bytes: F16 scale d, 32 int8 q) to 32·blocks floats q·d,
// exactly as the scalar dequantiser (one rounding: the product). Needs AVX2 and F16C.
void avx2_widen_q8_0(const void* blocks, float* out, int64_t count);

}  // namespace weft::tensor
