// Horizontal reductions of 256-bit vectors, the int8 dot products and the scalar half → float
// conversion that the AVX2 kernels share, and the target attributes those kernels carry.
// Include only inside `#if defined(__x86_64__)` code; the functions carry their own target
// attributes, so callers compiled for AVX2 (or more) inline them.
#pragma once

#include <immintrin.h>

#include <cstdint>

// Kernels are compiled for these targets in every build and chosen at run time
// (cpu_features.hpp).
#define WEFT_AVX2_FMA __attribute__((target("avx2,fma")))
#define WEFT_AVX2_FMA_F16C __attribute__((target("avx2,fma,f16c")))

namespace weft::tensor::avx2 {

// The float lanes summed in a fixed order (so results do not depend on the caller).
__attribute__((target("avx2"))) inline float horizontal_sum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

__attribute__((target("avx2"))) inline float horizontal_max(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

__attribute__((target("avx2"))) inline int32_t horizontal_sum(__m256i v) {
  __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  sum = _mm_add_epi32(sum, _mm_unpackhi_epi64(sum, sum));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 1));
  return _mm_cvtsi128_si32(sum);
}

__attribute__((target("f16c"))) inline float half_to_float(uint16_t h) {
  return _cvtsh_ss(h);
}

// Σ u·s over 32 (unsigned, signed) byte pairs as eight int32 partial sums; u·s pairs stay
// far from int16 saturation for the code ranges the kernels use (u ≤ 63, or |a| ≤ 127 below).
__attribute__((target("avx2"))) inline __m256i unsigned_dot_i32(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// Σ a·b over 32 signed byte pairs: maddubs needs an unsigned first operand, so the sign of
// `a` moves onto `b` (b is never -128, so negating it is safe).
__attribute__((target("avx2"))) inline __m256i signed_dot_i32(__m256i a, __m256i b) {
  return unsigned_dot_i32(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

}  // namespace weft::tensor::avx2
