// Rounding of float32 activation rows to the integer blocks the quantised matrix products
// multiply with, vectorised with AVX2. The results are bit-identical to the scalar rounding
// (rounded-activations' Q8_0 blocks and ref::quantize for Q8_K), which the tests check:
// the rounding decides which values the products see, so it may not drift.
#pragma once

#include <cstdint>

#include "tensor/formats/quant_blocks.hpp"

namespace weft::tensor {

// A block of 32 activations for Q4_0/Q8_0 products: the scale is the half-precision-rounded
// amax/127 kept as float, and `sum` is Σqs, which lets kernels multiply unsigned
// (offset) weight codes and take the offset out afterwards.
struct ActivationQ8 {
  float d;
  int32_t sum;
  int8_t qs[kBlock32];
};

// Two rows' ActivationQ8 blocks interleaved for the packed twin tiles (packed_kernels.hpp):
// qs holds 4-byte group k of the first row, then of the second, for k = 0..7, so that one
// 64-bit broadcast gives every lane pair both rows' group k.
struct alignas(8) ActivationQ8Pair {
  int8_t qs[2 * kBlock32];
  int32_t sum[2];
  float d[2];
};

// Two rows of `blocks` blocks each interleaved to `blocks` consecutive pairs.
void interleave_activation_pair(const ActivationQ8* first, const ActivationQ8* second,
                                int64_t blocks, ActivationQ8Pair* pair);

// Scalar versions: the definition of the rounding, used where AVX2 is missing.
void quantize_activation_q8(const float* x, ActivationQ8* blocks, int64_t n);

// Only on CPUs with AVX2 (cpu_has_avx2_fma_f16c()); `n` is a multiple of 32 (Q8) or 256 (Q8_K).
void avx2_quantize_activation_q8(const float* x, ActivationQ8* blocks, int64_t n);
void avx2_quantize_q8_k(const float* x, BlockQ8_K* blocks, int64_t n);

// out[8·b + k] = d·(sum of codes 32k..32k+31) of super-block b: what a weight format with
// one minimum per 32 values (Q4_K) multiplies its scaled minimums with.
void q8k_scaled_sums(const BlockQ8_K* blocks, int64_t n_superblocks, float* out);

}  // namespace weft::tensor
