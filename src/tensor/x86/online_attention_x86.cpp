// The tiled online softmax's x86 kernels (see online_attention_x86.hpp). Scores are computed
// eight keys at a time, one accumulator per key, and the eight accumulators summed across
// their lanes together; values are accumulated for up to eight heads at once, 8, 16 or 32
// dimensions at a time (AVX-512: 16, 32 or 64), so each widened value is loaded once per head
// group and each weight once per block of dimensions.
#include "tensor/x86/online_attention_x86.hpp"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "tensor/x86/avx2_exp.hpp"
#include "tensor/x86/avx2_reductions.hpp"

#define WEFT_AVX512 __attribute__((target("avx2,fma,avx512f")))

namespace weft::tensor {
namespace {

constexpr int64_t kLanes = 8;
constexpr int kMaxFoldHeads = 8;  // value accumulators held in registers at once

int64_t padded_count(int64_t count) {
  return (count + kLanes - 1) / kLanes * kLanes;
}

// Lane k of the result is the sum of the eight lanes of a[k].
WEFT_AVX2_FMA inline __m256 sum_each_of_eight(const __m256 (&a)[8]) {
  const __m256 pairs01 = _mm256_hadd_ps(a[0], a[1]);
  const __m256 pairs23 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 pairs45 = _mm256_hadd_ps(a[4], a[5]);
  const __m256 pairs67 = _mm256_hadd_ps(a[6], a[7]);
  // Lanes 0-3: the low halves of a[0..3]; lanes 4-7: their high halves (likewise a[4..7]).
  const __m256 quads0123 = _mm256_hadd_ps(pairs01, pairs23);
  const __m256 quads4567 = _mm256_hadd_ps(pairs45, pairs67);
  const __m256 low = _mm256_permute2f128_ps(quads0123, quads4567, 0x20);
  const __m256 high = _mm256_permute2f128_ps(quads0123, quads4567, 0x31);
  return _mm256_add_ps(low, high);
}

// The scores of one query head against eight consecutive key rows.
WEFT_AVX2_FMA inline __m256 score_eight_keys(const float* q, const float* keys, int64_t dim) {
  __m256 acc[8];
  for (auto& a : acc) a = _mm256_setzero_ps();
  for (int64_t d = 0; d < dim; d += kLanes) {
    const __m256 qv = _mm256_loadu_ps(q + d);
    for (int k = 0; k < 8; ++k)
      acc[k] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(keys + k * dim + d), acc[k]);
  }
  return sum_each_of_eight(acc);
}

// Turns one head's scores into weights e^(s − m) in place (padding lanes included, as zeros)
// and updates its maximum and sum; returns the factor e^(old max − m) for its output.
WEFT_AVX2_FMA float weigh_head(float* scores, int64_t count, float& max, float& sum) {
  const int64_t padded = padded_count(count);
  std::fill(scores + count, scores + padded, -INFINITY);
  __m256 lane_max = _mm256_set1_ps(-INFINITY);
  for (int64_t j = 0; j < padded; j += kLanes)
    lane_max = _mm256_max_ps(lane_max, _mm256_loadu_ps(scores + j));
  const float new_max = std::max(max, avx2::horizontal_max(lane_max));
  if (new_max == -INFINITY) {  // nothing seen yet: every weight is zero
    std::fill(scores, scores + padded, 0.0f);
    return 1.0f;
  }
  const float correction = new_max == max ? 1.0f : std::exp(max - new_max);
  const __m256 top = _mm256_set1_ps(new_max);
  // Scores far below the maximum (hidden slots and padding among them) weigh exactly zero.
  const __m256 floor = _mm256_set1_ps(-87.0f);
  __m256 lane_sum = _mm256_setzero_ps();
  for (int64_t j = 0; j < padded; j += kLanes) {
    const __m256 shifted = _mm256_sub_ps(_mm256_loadu_ps(scores + j), top);
    const __m256 weight =
        _mm256_and_ps(avx2::exp_clamped(shifted), _mm256_cmp_ps(shifted, floor, _CMP_GE_OQ));
    _mm256_storeu_ps(scores + j, weight);
    lane_sum = _mm256_add_ps(lane_sum, weight);
  }
  sum = sum * correction + avx2::horizontal_sum(lane_sum);
  max = new_max;
  return correction;
}

// out[h·dim + d] = out[h·dim + d]·corrections[h] + Σ_j weights[h·stride + j]·values[j·dim + d],
// 8 · Chunks dimensions at a time: each weight is broadcast once for them all.
template <int Heads, int Chunks>
WEFT_AVX2_FMA void fold_values(const float* weights, int64_t stride, const float* corrections,
                               int64_t count, const float* values, int64_t dim, float* out) {
  constexpr int64_t kBlock = kLanes * Chunks;
  for (int64_t d = 0; d < dim; d += kBlock) {
    __m256 acc[Heads][Chunks];
    for (int h = 0; h < Heads; ++h) {
      const __m256 correction = _mm256_set1_ps(corrections[h]);
      for (int c = 0; c < Chunks; ++c)
        acc[h][c] = _mm256_mul_ps(_mm256_loadu_ps(out + h * dim + d + kLanes * c), correction);
    }
    for (int64_t j = 0; j < count; ++j) {
      __m256 value[Chunks];
      for (int c = 0; c < Chunks; ++c)
        value[c] = _mm256_loadu_ps(values + j * dim + d + kLanes * c);
      for (int h = 0; h < Heads; ++h) {
        const __m256 weight = _mm256_broadcast_ss(weights + h * stride + j);
        for (int c = 0; c < Chunks; ++c) acc[h][c] = _mm256_fmadd_ps(weight, value[c], acc[h][c]);
      }
    }
    for (int h = 0; h < Heads; ++h) {
      for (int c = 0; c < Chunks; ++c) _mm256_storeu_ps(out + h * dim + d + kLanes * c, acc[h][c]);
    }
  }
}

// As many dimensions at a time as the 16 registers hold with the heads' accumulators (one or
// two heads 32, up to six 16, more 8); the same operations per lane whatever the choice.
template <int Heads>
WEFT_AVX2_FMA void fold_values_any(const float* weights, int64_t stride, const float* corrections,
                                   int64_t count, const float* values, int64_t dim, float* out) {
  if (Heads <= 2 && dim % 32 == 0) {
    fold_values<Heads, 4>(weights, stride, corrections, count, values, dim, out);
  } else if (Heads <= 6 && dim % 16 == 0) {
    fold_values<Heads, 2>(weights, stride, corrections, count, values, dim, out);
  } else {
    fold_values<Heads, 1>(weights, stride, corrections, count, values, dim, out);
  }
}

using FoldValues = void (*)(const float*, int64_t, const float*, int64_t, const float*, int64_t,
                            float*);
constexpr FoldValues kFoldValues[kMaxFoldHeads] = {
    fold_values_any<1>, fold_values_any<2>, fold_values_any<3>, fold_values_any<4>,
    fold_values_any<5>, fold_values_any<6>, fold_values_any<7>, fold_values_any<8>};

// fold_values with 16 · Chunks dimensions at a time: each weight is broadcast once for them
// all. Per lane the same operations as fold_values, so the same bits.
template <int Heads, int Chunks>
WEFT_AVX512 void fold_values_avx512(const float* weights, int64_t stride, const float* corrections,
                                    int64_t count, const float* values, int64_t dim, float* out) {
  constexpr int64_t kBlock = 16 * Chunks;
  for (int64_t d = 0; d < dim; d += kBlock) {
    __m512 acc[Heads][Chunks];
    for (int h = 0; h < Heads; ++h) {
      const __m512 correction = _mm512_set1_ps(corrections[h]);
      for (int c = 0; c < Chunks; ++c)
        acc[h][c] = _mm512_mul_ps(_mm512_loadu_ps(out + h * dim + d + 16 * c), correction);
    }
    for (int64_t j = 0; j < count; ++j) {
      __m512 value[Chunks];
      for (int c = 0; c < Chunks; ++c) value[c] = _mm512_loadu_ps(values + j * dim + d + 16 * c);
      for (int h = 0; h < Heads; ++h) {
        const __m512 weight = _mm512_set1_ps(weights[h * stride + j]);
        for (int c = 0; c < Chunks; ++c) acc[h][c] = _mm512_fmadd_ps(weight, value[c], acc[h][c]);
      }
    }
    for (int h = 0; h < Heads; ++h) {
      for (int c = 0; c < Chunks; ++c) _mm512_storeu_ps(out + h * dim + d + 16 * c, acc[h][c]);
    }
  }
}

// Up to four heads keep 64 dimensions in registers (16 accumulators), more heads 32; dims
// that are not a multiple of those go 16 at a time.
template <int Heads>
WEFT_AVX512 void fold_values_avx512_any(const float* weights, int64_t stride,
                                        const float* corrections, int64_t count,
                                        const float* values, int64_t dim, float* out) {
  if (Heads <= 4 && dim % 64 == 0) {
    fold_values_avx512<Heads, 4>(weights, stride, corrections, count, values, dim, out);
  } else if (dim % 32 == 0) {
    fold_values_avx512<Heads, 2>(weights, stride, corrections, count, values, dim, out);
  } else {
    fold_values_avx512<Heads, 1>(weights, stride, corrections, count, values, dim, out);
  }
}

constexpr FoldValues kFoldValuesAvx512[kMaxFoldHeads] = {
    fold_values_avx512_any<1>, fold_values_avx512_any<2>, fold_values_avx512_any<3>,
    fold_values_avx512_any<4>, fold_values_avx512_any<5>, fold_values_avx512_any<6>,
    fold_values_avx512_any<7>, fold_values_avx512_any<8>};

// Weighs each head's scores and folds the values in, kMaxFoldHeads heads at a time.
WEFT_AVX2_FMA void online_softmax_fold(const FoldValues (&fold)[kMaxFoldHeads], float* scores,
                                       int64_t score_stride, int64_t group, int64_t count,
                                       const float* values, int64_t dim, float* max, float* sum,
                                       float* out) {
  for (int64_t g0 = 0; g0 < group; g0 += kMaxFoldHeads) {
    const int heads = static_cast<int>(std::min<int64_t>(kMaxFoldHeads, group - g0));
    float corrections[kMaxFoldHeads];
    for (int h = 0; h < heads; ++h) {
      corrections[h] =
          weigh_head(scores + (g0 + h) * score_stride, count, max[g0 + h], sum[g0 + h]);
    }
    fold[heads - 1](scores + g0 * score_stride, score_stride, corrections, count, values, dim,
                    out + g0 * dim);
  }
}

}  // namespace

WEFT_AVX2_FMA void avx2_tile_scores(const float* q, int64_t group, int64_t dim, const float* keys,
                                    int64_t count, float scale, float* scores,
                                    int64_t score_stride) {
  const __m256 scale_vector = _mm256_set1_ps(scale);
  const int64_t padded = padded_count(count);
  // Key blocks outside, heads inside: eight widened keys stay in L1 for the whole group.
  for (int64_t j = 0; j < padded; j += kLanes) {
    for (int64_t g = 0; g < group; ++g) {
      const __m256 block = score_eight_keys(q + g * dim, keys + j * dim, dim);
      _mm256_storeu_ps(scores + g * score_stride + j, _mm256_mul_ps(block, scale_vector));
    }
  }
}

void avx2_online_softmax_fold(float* scores, int64_t score_stride, int64_t group, int64_t count,
                              const float* values, int64_t dim, float* max, float* sum,
                              float* out) {
  online_softmax_fold(kFoldValues, scores, score_stride, group, count, values, dim, max, sum, out);
}

void avx512_online_softmax_fold(float* scores, int64_t score_stride, int64_t group, int64_t count,
                                const float* values, int64_t dim, float* max, float* sum,
                                float* out) {
  online_softmax_fold(kFoldValuesAvx512, scores, score_stride, group, count, values, dim, max, sum,
                      out);
}

OnlineAttentionKernels online_attention_kernels(const CpuFeatures& features, int64_t head_dim) {
  if (features.avx512f && head_dim % 16 == 0) return {avx2_tile_scores, avx512_online_softmax_fold};
  return {avx2_tile_scores, avx2_online_softmax_fold};
}

}  // namespace weft::tensor

#else  // not x86-64 with GCC/Clang: never called

namespace weft::tensor {
void avx2_tile_scores(const float*, int64_t, int64_t, const float*, int64_t, float, float*,
                      int64_t) {}
void avx2_online_softmax_fold(float*, int64_t, int64_t, int64_t, const float*, int64_t, float*,
                              float*, float*) {}
void avx512_online_softmax_fold(float*, int64_t, int64_t, int64_t, const float*, int64_t, float*,
                                float*, float*) {}
OnlineAttentionKernels online_attention_kernels(const CpuFeatures&, int64_t) {
  return {avx2_tile_scores, avx2_online_softmax_fold};
}
}  // namespace weft::tensor

#endif
