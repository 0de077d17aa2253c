// AVX2 building blocks of attention over widened (float32) keys and values, and of the
// gated feed-forward activation. Only for CPUs with AVX2/FMA (cpu_has_avx2_fma_f16c()).
//
// Keys are kept transposed (one row per head dimension, one column per cached slot), so
// the scores of eight slots are eight FMA lanes: no horizontal sums. Buffers are padded to
// whole vectors of eight: callers allocate (and zero) keys_t rows and score rows rounded
// up to a multiple of 8.
#pragma once

#include <cstdint>

namespace weft::tensor {

inline constexpr int64_t kAttentionLanes = 8;

inline int64_t round_up_to_lanes(int64_t n) {
  return (n + kAttentionLanes - 1) / kAttentionLanes * kAttentionLanes;
}

// scores[g·score_stride + j] = scale · Σ_d q[g·dim + d] · keys_t[d·key_stride + first + j]
// for g < group and j < round_up_to_lanes(count).
void avx2_attention_scores(const float* q, int64_t group, int64_t dim, const float* keys_t,
                           int64_t key_stride, int64_t first, int64_t count, float scale,
                           float* scores, int64_t score_stride);

// Softmax of x[0, n) in place; x must have room for round_up_to_lanes(n) values (the
// padding is overwritten). exp is a polynomial within 2 ulp of std::exp.
void avx2_softmax(float* x, int64_t n);

// out[d] = Σ_j p[j] · values[j·dim + d] for d < dim (a multiple of 8), j < count.
void avx2_weighted_values(const float* p, int64_t count, const float* values, int64_t dim,
                          float* out);

// out = silu(gate) · up.
void avx2_silu_mul(const float* gate, const float* up, int64_t n, float* out);

}  // namespace weft::tensor
