// The AVX2 softmax and SiLU gate (see fast_attention_avx2.hpp).
#include "tensor/x86/fast_attention_avx2.hpp"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "tensor/x86/avx2_exp.hpp"
#include "tensor/x86/avx2_reductions.hpp"

namespace weft::tensor {
namespace {

using avx2::exp_clamped;
using avx2::horizontal_max;
using avx2::horizontal_sum;

}  // namespace

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
void avx2_softmax(float*, int64_t) {}
void avx2_silu_mul(const float*, const float*, int64_t, float*) {}
}  // namespace weft::tensor

#endif
