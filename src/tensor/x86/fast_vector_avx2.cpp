// AVX2 versions of the vector operations attention spends its time in (q·k dot products
// and the weighted sum of values). FastKernels calls them only on CPUs with AVX2 and FMA.
#include "tensor/x86/fast_vector_avx2.hpp"

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "tensor/x86/avx2_reductions.hpp"
namespace weft::tensor {

WEFT_AVX2_FMA float avx2_dot(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  const __m256 acc = _mm256_add_ps(acc0, acc1);
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  float total = _mm_cvtss_f32(sum);
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

WEFT_AVX2_FMA void avx2_axpy(float a, const float* x, float* y, int64_t n) {
  const __m256 scale = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(scale, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

__attribute__((target("avx,f16c"))) void f16c_widen(const uint16_t* halves, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(halves + i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(packed));
  }
  for (; i < n; ++i) out[i] = _cvtsh_ss(halves[i]);
}

__attribute__((target("avx2,f16c"))) void avx2_widen_q8_0(const void* blocks, float* out,
                                                          int64_t count) {
  constexpr int64_t kBlockBytes = 34;
  const auto* block = static_cast<const unsigned char*>(blocks);
  for (int64_t b = 0; b < count; ++b, block += kBlockBytes, out += 32) {
    uint16_t half_scale = 0;
    std::memcpy(&half_scale, block, sizeof(half_scale));
    const __m256 scale = _mm256_set1_ps(_cvtsh_ss(half_scale));
    for (int part = 0; part < 4; ++part) {
      const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 2 + 8 * part));
      const __m256 values = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
      _mm256_storeu_ps(out + 8 * part, _mm256_mul_ps(values, scale));
    }
  }
}

}  // namespace weft::tensor

#else

namespace weft::tensor {
float avx2_dot(const float*, const float*, int64_t) {
  return 0;
}
void avx2_axpy(float, const float*, float*, int64_t) {}
void f16c_widen(const uint16_t*, float*, int64_t) {}
void avx2_widen_q8_0(const void*, float*, int64_t) {}
}  // namespace weft::tensor

#endif
