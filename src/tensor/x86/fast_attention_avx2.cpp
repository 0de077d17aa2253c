// AVX2 attention pieces and the SiLU gate (see fast_attention_avx2.hpp). Each output lane
// is computed by the same sequence of operations whatever the count around it, so a row's
// attention never depends on how long the other rows of a batch are.
#include "tensor/x86/fast_attention_avx2.hpp"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "tensor/x86/avx2_reductions.hpp"

namespace weft::tensor {
namespace {

using avx2::horizontal_max;
using avx2::horizontal_sum;

// exp(x) for x in [-87, 88] (clamped there): x = n·ln2 + r with |r| ≤ ln2/2, a degree-6
// polynomial for exp(r) (Cephes' expf coefficients), and 2^n put in the exponent bits.
WEFT_AVX2_FMA inline __m256 exp_clamped(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i exponent =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

template <int Vectors>
WEFT_AVX2_FMA inline void score_block(const float* q, int64_t dim, const float* keys,
                                      int64_t key_stride, float scale, float* out) {
  __m256 acc[Vectors];
  for (int v = 0; v < Vectors; ++v) acc[v] = _mm256_setzero_ps();
  for (int64_t d = 0; d < dim; ++d) {
    const __m256 qd = _mm256_broadcast_ss(q + d);
    const float* row = keys + d * key_stride;
    for (int v = 0; v < Vectors; ++v)
      acc[v] = _mm256_fmadd_ps(qd, _mm256_loadu_ps(row + 8 * v), acc[v]);
  }
  const __m256 s = _mm256_set1_ps(scale);
  for (int v = 0; v < Vectors; ++v) _mm256_storeu_ps(out + 8 * v, _mm256_mul_ps(acc[v], s));
}

}  // namespace

WEFT_AVX2_FMA void avx2_attention_scores(const float* q, int64_t group, int64_t dim,
                                         const float* keys_t, int64_t key_stride, int64_t first,
                                         int64_t count, float scale, float* scores,
                                         int64_t score_stride) {
  const int64_t padded = round_up_to_lanes(count);
  // Slot blocks outside, query heads inside: a block of keys (head_dim × 32 floats) is read
  // from L2 once and reused from L1 by every head of the group.
  int64_t j = 0;
  for (; j + 32 <= padded; j += 32) {
    for (int64_t g = 0; g < group; ++g)
      score_block<4>(q + g * dim, dim, keys_t + first + j, key_stride, scale,
                     scores + g * score_stride + j);
  }
  for (; j < padded; j += 8) {
    for (int64_t g = 0; g < group; ++g)
      score_block<1>(q + g * dim, dim, keys_t + first + j, key_stride, scale,
                     scores + g * score_stride + j);
  }
}

WEFT_AVX2_FMA void avx2_softmax(float* x, int64_t n) {
  const int64_t padded = round_up_to_lanes(n);
  for (int64_t i = n; i < padded; ++i) x[i] = -INFINITY;
  __m256 max = _mm256_set1_ps(-INFINITY);
  for (int64_t i = 0; i < padded; i += 8) max = _mm256_max_ps(max, _mm256_loadu_ps(x + i));
  const __m256 top = _mm256_set1_ps(horizontal_max(max));
  // Lanes far below the maximum (the padding among them) contribute exactly zero.
  const __m256 floor = _mm256_set1_ps(-87.0f);
  __m256 sum = _mm256_setzero_ps();
  for (int64_t i = 0; i < padded; i += 8) {
    const __m256 shifted = _mm256_sub_ps(_mm256_loadu_ps(x + i), top);
    const __m256 e = _mm256_and_ps(exp_clamped(shifted), _mm256_cmp_ps(shifted, floor, _CMP_GE_OQ));
    _mm256_storeu_ps(x + i, e);
    sum = _mm256_add_ps(sum, e);
  }
  const __m256 inverse = _mm256_set1_ps(1.0f / horizontal_sum(sum));
  for (int64_t i = 0; i < padded; i += 8)
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inverse));
}

WEFT_AVX2_FMA void avx2_weighted_values(const float* p, int64_t count, const float* values,
                                        int64_t dim, float* out) {
  for (int64_t d0 = 0; d0 < dim; d0 += 64) {
    const int vectors = static_cast<int>(std::min<int64_t>(64, dim - d0) / 8);
    __m256 acc[8];
    for (int v = 0; v < 8; ++v) acc[v] = _mm256_setzero_ps();
    if (vectors == 8) {  // the common head size: a fixed trip count the compiler unrolls
      for (int64_t j = 0; j < count; ++j) {
        const __m256 pj = _mm256_broadcast_ss(p + j);
        const float* row = values + j * dim + d0;
        for (int v = 0; v < 8; ++v)
          acc[v] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(row + 8 * v), acc[v]);
      }
    } else {
      for (int64_t j = 0; j < count; ++j) {
        const __m256 pj = _mm256_broadcast_ss(p + j);
        const float* row = values + j * dim + d0;
        for (int v = 0; v < vectors; ++v)
          acc[v] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(row + 8 * v), acc[v]);
      }
    }
    for (int v = 0; v < vectors; ++v) _mm256_storeu_ps(out + d0 + 8 * v, acc[v]);
  }
}

WEFT_AVX2_FMA void avx2_silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp_clamped(_mm256_sub_ps(_mm256_setzero_ps(), g));
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, e));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace weft::tensor

#else  // not x86-64 with GCC/Clang: never called

namespace weft::tensor {
void avx2_attention_scores(const float*, int64_t, int64_t, const float*, int64_t, int64_t, int64_t,
                           float, float*, int64_t) {}
void avx2_softmax(float*, int64_t) {}
void avx2_weighted_values(const float*, int64_t, const float*, int64_t, float*) {}
void avx2_silu_mul(const float*, const float*, int64_t, float*) {}
}  // namespace weft::tensor

#endif
