// AVX2 softmax over a padded row and the gated feed-forward activation. Only for CPUs with
// AVX2/FMA (cpu_has_avx2_fma_f16c()). The attention itself is online_attention_x86.hpp.
#pragma once

#include <cstdint>

namespace weft::tensor {

inline constexpr int64_t kAttentionLanes = 8;

inline int64_t round_up_to_lanes(int64_t n) {
  return (n + kAttentionLanes - 1) / kAttentionLanes * kAttentionLanes;
}

// Softmax of x[0, n) in place; x must have room for round_up_to_lanes(n) values (the
// padding is overwritten). exp is a polynomial within 2 ulp of std::exp.
void avx2_softmax(float* x, int64_t n);

// out = silu(gate) · up.
void avx2_silu_mul(const float* gate, const float* up, int64_t n, float* out);

}  // namespace weft::tensor
