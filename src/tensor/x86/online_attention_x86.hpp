// x86 pieces of attention as a tiled online softmax: the scores of a group of query heads
// (those sharing one kv head) against a small tile of widened keys, and the fold of those
// scores and the tile's values into each head's running maximum, running sum and unnormalised
// output. One pass over the keys and values, no score row as long as the sequence. Only for
// CPUs with AVX2/FMA (cpu_has_avx2_fma_f16c()); online_attention_kernels() adds AVX-512
// versions where the CPU has them.
//
// Each output is computed by the same operations in the same order whatever the tiles of
// other rows, so a row's attention never depends on the batch around it.
#pragma once

#include <cstdint>

#include "tensor/cpu_features.hpp"

namespace weft::tensor {

// scores[g·score_stride + j] = scale · Σ_d q[g·dim + d] · keys[j·dim + d] for g < group and
// j < count rounded up to a multiple of 8: keys must hold that many finite rows (the rows past
// count give scores the caller ignores). dim is a multiple of 8.
void avx2_tile_scores(const float* q, int64_t group, int64_t dim, const float* keys, int64_t count,
                      float scale, float* scores, int64_t score_stride);

// Folds slots [0, count) into the online softmax of each head g < group: with s its scores
// (row g of `scores`, −∞ for slots it may not see) and m = max(max[g], s), sets
// out[g·dim + d] = out[g·dim + d]·e^(max[g] − m) + Σ_j e^(s_j − m)·values[j·dim + d],
// sum[g] = sum[g]·e^(max[g] − m) + Σ_j e^(s_j − m), and max[g] = m. A head whose maximum stays
// −∞ (it has seen nothing yet) is left as it is. Start a head at max −∞, sum 0 and out 0 (or
// at a sink logit with sum 1); its attention is out / sum at the end. `scores` rows need room
// for count rounded up to a multiple of 8 (they are overwritten); dim is a multiple of 8.
void avx2_online_softmax_fold(float* scores, int64_t score_stride, int64_t group, int64_t count,
                              const float* values, int64_t dim, float* max, float* sum, float* out);

// avx2_online_softmax_fold with 512-bit vectors: values folded 16 · (1, 2 or 4) dimensions at
// a time, so each weight is broadcast once for them all. The same operations per lane as the
// AVX2 fold, so the same bits. dim is a multiple of 16.
void avx512_online_softmax_fold(float* scores, int64_t score_stride, int64_t group, int64_t count,
                                const float* values, int64_t dim, float* max, float* sum,
                                float* out);

struct OnlineAttentionKernels {
  decltype(&avx2_tile_scores) tile_scores;
  decltype(&avx2_online_softmax_fold) online_softmax_fold;
};

// The AVX-512 fold where `features` has AVX-512F and head_dim is a multiple of 16, else the
// AVX2 one; the AVX2 scores either way. So both levels give an attention the same bits: the
// scores' lane sums in another order (sixteen keys a block) measured slower, and moved the
// fixtures' logits off llama.cpp's by flipping the rounding of later 8-bit activations.
OnlineAttentionKernels online_attention_kernels(const CpuFeatures& features, int64_t head_dim);

}  // namespace weft::tensor
