// F16 and Q8_0 cache slots widened a vector at a time (see cached_slots_x86.hpp): F16 through
// vcvtph2ps, Q8_0 as sign-extended bytes times the block's scale, F32 copied. Both levels give
// the same floats (the conversions are exact).
#include "tensor/x86/cached_slots_x86.hpp"

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "tensor/x86/avx2_reductions.hpp"

#define WEFT_AVX512_F16C __attribute__((target("avx2,fma,f16c,avx512f")))

namespace weft::tensor {
namespace {

constexpr int64_t kQ8Block = 32;
constexpr int64_t kQ8BlockBytes = 34;  // F16 scale, then 32 signed bytes
// The zero-masked AVX-512 conversions with every lane on: the unmasked ones start from an
// undefined vector, which GCC 12 reports as maybe-uninitialized.
constexpr __mmask16 kAllLanes = 0xFFFF;

WEFT_AVX2_FMA_F16C inline float q8_0_scale(const std::byte* block) {
  uint16_t half_scale = 0;
  std::memcpy(&half_scale, block, sizeof(half_scale));
  return avx2::half_to_float(half_scale);
}

WEFT_AVX2_FMA_F16C inline void widen_f16(const std::byte* slot, int64_t dim, float* out) {
  for (int64_t d = 0; d < dim; d += 8) {
    const __m128i halves = _mm_loadu_si128(reinterpret_cast<const __m128i*>(slot + 2 * d));
    _mm256_storeu_ps(out + d, _mm256_cvtph_ps(halves));
  }
}

WEFT_AVX2_FMA_F16C inline void widen_q8_0(const std::byte* slot, int64_t dim, float* out) {
  for (int64_t d = 0; d < dim; d += kQ8Block, slot += kQ8BlockBytes) {
    const __m256 scale = _mm256_set1_ps(q8_0_scale(slot));
    for (int part = 0; part < 4; ++part) {
      const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(slot + 2 + 8 * part));
      const __m256 values = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
      _mm256_storeu_ps(out + d + 8 * part, _mm256_mul_ps(values, scale));
    }
  }
}

WEFT_AVX512_F16C inline void widen_f16_avx512(const std::byte* slot, int64_t dim, float* out) {
  int64_t d = 0;
  for (; d + 16 <= dim; d += 16) {
    const __m256i halves = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(slot + 2 * d));
    _mm512_storeu_ps(out + d, _mm512_maskz_cvtph_ps(kAllLanes, halves));
  }
  if (d < dim) {  // a head size that is an odd multiple of 8
    const __m128i halves = _mm_loadu_si128(reinterpret_cast<const __m128i*>(slot + 2 * d));
    _mm256_storeu_ps(out + d, _mm256_cvtph_ps(halves));
  }
}

WEFT_AVX512_F16C inline void widen_q8_0_avx512(const std::byte* slot, int64_t dim, float* out) {
  for (int64_t d = 0; d < dim; d += kQ8Block, slot += kQ8BlockBytes) {
    const __m512 scale = _mm512_set1_ps(q8_0_scale(slot));
    for (int half = 0; half < 2; ++half) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(slot + 2 + 16 * half));
      const __m512 values =
          _mm512_maskz_cvtepi32_ps(kAllLanes, _mm512_maskz_cvtepi8_epi32(kAllLanes, bytes));
      _mm512_storeu_ps(out + d + 16 * half, _mm512_mul_ps(values, scale));
    }
  }
}

void copy_f32(const std::byte* first, int64_t stride, int64_t count, int64_t dim, float* tile) {
  for (int64_t i = 0; i < count; ++i)
    std::memcpy(tile + i * dim, first + i * stride, static_cast<size_t>(dim) * sizeof(float));
}

}  // namespace

WEFT_AVX2_FMA_F16C void avx2_widen_cached_slots(ElementType type, const std::byte* first,
                                                int64_t stride, int64_t count, int64_t dim,
                                                float* tile) {
  switch (type) {
    case ElementType::F16:
      for (int64_t i = 0; i < count; ++i) widen_f16(first + i * stride, dim, tile + i * dim);
      break;
    case ElementType::Q8_0:
      for (int64_t i = 0; i < count; ++i) widen_q8_0(first + i * stride, dim, tile + i * dim);
      break;
    default:  // F32
      copy_f32(first, stride, count, dim, tile);
      break;
  }
}

WEFT_AVX512_F16C void avx512_widen_cached_slots(ElementType type, const std::byte* first,
                                                int64_t stride, int64_t count, int64_t dim,
                                                float* tile) {
  switch (type) {
    case ElementType::F16:
      for (int64_t i = 0; i < count; ++i) widen_f16_avx512(first + i * stride, dim, tile + i * dim);
      break;
    case ElementType::Q8_0:
      for (int64_t i = 0; i < count; ++i)
        widen_q8_0_avx512(first + i * stride, dim, tile + i * dim);
      break;
    default:  // F32
      copy_f32(first, stride, count, dim, tile);
      break;
  }
}

CachedSlotsWidener cached_slots_widener(const CpuFeatures& features) {
  return features.avx512f ? avx512_widen_cached_slots : avx2_widen_cached_slots;
}

}  // namespace weft::tensor

#else  // not x86-64 with GCC/Clang: never called

namespace weft::tensor {
void avx2_widen_cached_slots(ElementType, const std::byte*, int64_t, int64_t, int64_t, float*) {}
void avx512_widen_cached_slots(ElementType, const std::byte*, int64_t, int64_t, int64_t, float*) {}
CachedSlotsWidener cached_slots_widener(const CpuFeatures&) {
  return avx2_widen_cached_slots;
}
}  // namespace weft::tensor

#endif
