// Activation rounding with AVX2. Every step mirrors the scalar definition operation for
// operation (same float multiplies, same round-to-nearest-even), so the codes and scales are
// bit-identical; only the maximum search and the block sums are reorganised, and those are
// exact in any order.
#include "tensor/x86/activation_quant_avx2.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/formats/half.hpp"

namespace weft::tensor {

void quantize_activation_q8(const float* x, ActivationQ8* blocks, int64_t n) {
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const float* v = x + b * kBlock32;
    float amax = 0;
    for (int i = 0; i < kBlock32; ++i) amax = std::max(amax, std::fabs(v[i]));
    const float inverse = amax != 0 ? 127.0f / amax : 0.0f;
    blocks[b].d = fp16_to_fp32(fp32_to_fp16(amax / 127.0f));
    int32_t sum = 0;
    for (int i = 0; i < kBlock32; ++i) {
      blocks[b].qs[i] = static_cast<int8_t>(std::nearbyint(v[i] * inverse));
      sum += blocks[b].qs[i];
    }
    blocks[b].sum = sum;
  }
}

void interleave_activation_pair(const ActivationQ8* first, const ActivationQ8* second,
                                int64_t blocks, ActivationQ8Pair* pair) {
  constexpr int kGroupBytes = 4;
  for (int64_t b = 0; b < blocks; ++b) {
    for (int k = 0; k < kBlock32 / kGroupBytes; ++k) {
      std::memcpy(pair[b].qs + 2 * kGroupBytes * k, first[b].qs + kGroupBytes * k, kGroupBytes);
      std::memcpy(pair[b].qs + 2 * kGroupBytes * k + kGroupBytes, second[b].qs + kGroupBytes * k,
                  kGroupBytes);
    }
    pair[b].sum[0] = first[b].sum;
    pair[b].sum[1] = second[b].sum;
    pair[b].d[0] = first[b].d;
    pair[b].d[1] = second[b].d;
  }
}

void q8k_scaled_sums(const BlockQ8_K* blocks, int64_t n_superblocks, float* out) {
  for (int64_t b = 0; b < n_superblocks; ++b) {
    for (int k = 0; k < 8; ++k) {
      const int sum = blocks[b].bsums[2 * k] + blocks[b].bsums[2 * k + 1];
      out[8 * b + k] = blocks[b].d * static_cast<float>(sum);
    }
  }
}

}  // namespace weft::tensor

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "tensor/x86/avx2_reductions.hpp"

namespace weft::tensor {
namespace {

using avx2::horizontal_max;
using avx2::horizontal_sum;

WEFT_AVX2_FMA_F16C inline __m256 absolute(__m256 v) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

// 32 int32 codes (each within int8 range) packed into 32 bytes in their original order.
WEFT_AVX2_FMA_F16C inline __m256i pack_codes(__m256i q0, __m256i q1, __m256i q2, __m256i q3) {
  const __m256i words = _mm256_packs_epi32(q0, q1);   // lanes interleave per 128 bits
  const __m256i words2 = _mm256_packs_epi32(q2, q3);  // ...
  const __m256i bytes = _mm256_packs_epi16(words, words2);
  return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

}  // namespace

WEFT_AVX2_FMA_F16C void avx2_quantize_activation_q8(const float* x, ActivationQ8* blocks,
                                                    int64_t n) {
  for (int64_t b = 0; b < n / kBlock32; ++b) {
    const float* v = x + b * kBlock32;
    __m256 values[4];
    __m256 amax = _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
      values[i] = _mm256_loadu_ps(v + 8 * i);
      amax = _mm256_max_ps(amax, absolute(values[i]));
    }
    const float block_max = horizontal_max(amax);
    const float inverse = block_max != 0 ? 127.0f / block_max : 0.0f;
    blocks[b].d = fp16_to_fp32(fp32_to_fp16(block_max / 127.0f));
    __m256i codes[4];
    const __m256 scale = _mm256_set1_ps(inverse);
    // cvtps rounds with the current mode (nearest-even), as std::nearbyint does.
    for (int i = 0; i < 4; ++i) codes[i] = _mm256_cvtps_epi32(_mm256_mul_ps(values[i], scale));
    blocks[b].sum = horizontal_sum(_mm256_add_epi32(_mm256_add_epi32(codes[0], codes[1]),
                                                    _mm256_add_epi32(codes[2], codes[3])));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(blocks[b].qs),
                        pack_codes(codes[0], codes[1], codes[2], codes[3]));
  }
}

// ref::quantize(BlockQ8_K): the scale comes from the first value of largest magnitude
// (with its sign), codes are nearest_even(-127/max · x) capped at 127, bsums per 16 codes.
WEFT_AVX2_FMA_F16C void avx2_quantize_q8_k(const float* x, BlockQ8_K* blocks, int64_t n) {
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const float* v = x + b * kSuperBlock;
    BlockQ8_K& block = blocks[b];
    __m256 amax = _mm256_setzero_ps();
    for (int i = 0; i < kSuperBlock; i += 8)
      amax = _mm256_max_ps(amax, absolute(_mm256_loadu_ps(v + i)));
    const float absmax = horizontal_max(amax);
    if (absmax == 0.0f) {
      std::memset(&block, 0, sizeof block);
      continue;
    }
    float max = 0;
    const __m256 target = _mm256_set1_ps(absmax);
    for (int i = 0; i < kSuperBlock; i += 8) {
      const int hits =
          _mm256_movemask_ps(_mm256_cmp_ps(absolute(_mm256_loadu_ps(v + i)), target, _CMP_EQ_OQ));
      if (hits != 0) {
        max = v[i + __builtin_ctz(static_cast<unsigned>(hits))];
        break;
      }
    }
    const float iscale = -127.f / max;
    const __m256 scale = _mm256_set1_ps(iscale);
    const __m256i cap = _mm256_set1_epi32(127);
    for (int chunk = 0; chunk < kSuperBlock; chunk += 32) {
      __m256i codes[4];
      for (int i = 0; i < 4; ++i) {
        // cvtps rounds to nearest-even like ref::nearest_even (exact here: |scaled| ≤ 127).
        // Not its add-1.5·2^23 form: the compiler may fuse that add with the multiply into
        // an FMA, which skips the product's rounding and breaks ties differently.
        const __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(v + chunk + 8 * i), scale);
        codes[i] = _mm256_min_epi32(_mm256_cvtps_epi32(scaled), cap);
      }
      block.bsums[chunk / 16] =
          static_cast<int16_t>(horizontal_sum(_mm256_add_epi32(codes[0], codes[1])));
      block.bsums[chunk / 16 + 1] =
          static_cast<int16_t>(horizontal_sum(_mm256_add_epi32(codes[2], codes[3])));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(block.qs + chunk),
                          pack_codes(codes[0], codes[1], codes[2], codes[3]));
    }
    block.d = 1 / iscale;
  }
}

}  // namespace weft::tensor

#else  // not x86-64 with GCC/Clang: never called

namespace weft::tensor {
void avx2_quantize_activation_q8(const float*, ActivationQ8*, int64_t) {}
void avx2_quantize_q8_k(const float*, BlockQ8_K*, int64_t) {}
}  // namespace weft::tensor

#endif
