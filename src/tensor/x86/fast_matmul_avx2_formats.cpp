// AVX2 dot products for Q4_1, Q5_0, Q5_1, IQ4_NL, MXFP4, Q2_K, Q3_K, Q5_K, IQ4_XS and BF16 weights.
//
// Activations are rounded as rounded-activations rounds them: Q8_0-style blocks of 32 for
// the legacy formats (kept with their sum, which folds in Q4_1/Q5_1's per-block minimum),
// Q8_K super-blocks for the K-quants. The weight codes are unpacked to unsigned bytes
// and multiplied with maddubs; signed offsets and minimums are taken out through the
// activation block sums, so the inner loops never widen beyond 16 bits. The non-linear
// formats' nibbles index their value table with a byte shuffle and multiply as signed bytes. BF16
// weights are widened by a shift and multiplied with float32 activations, as F16 weights are.
#include "tensor/x86/fast_matmul_avx2_formats.hpp"

#include <cstring>
#include <type_traits>

#include "tensor/formats/half.hpp"
#include "tensor/formats/mxfp4_quant.hpp"
#include "tensor/formats/quant_blocks.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "tensor/x86/avx2_reductions.hpp"

namespace weft::tensor {
namespace {

using avx2::half_to_float;
using avx2::horizontal_max;
using avx2::horizontal_sum;
using avx2::signed_dot_i32;
using avx2::unsigned_dot_i32;

// A rounded activation block for the legacy formats: the same values as rounded-
// activations' Q8 blocks (scale the half-precision-rounded amax/127, codes nearest-even of
// x·127/amax), plus sum = fp16(amax/127·Σqs) for the weight formats with a per-block
// minimum, as rounded-activations (and GGML's Q8_1) round it.
struct ActivationQ8Sum {
  float d;
  float sum;
  int8_t qs[kBlock32];
};

using Dots = std::array<FormatGroupDot, kFormatMaxGroup>;

WEFT_AVX2_FMA_F16C inline __m256i load256(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

WEFT_AVX2_FMA_F16C inline __m256i shift_right_16(__m256i v, int bits) {
  return _mm256_srl_epi16(v, _mm_cvtsi32_si128(bits));
}

// ---- Activation rounding --------------------------------------------------------------

// Vectorised but value for value rounded-activations' Q8 rounding: the same amax, the same
// float products x·(127/amax), rounded to nearest even.
WEFT_AVX2_FMA_F16C void round_q8_sum_row(const float* x, std::byte* dst, int64_t cols) {
  auto* blocks = reinterpret_cast<ActivationQ8Sum*>(dst);
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256i byte_order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t b = 0; b < cols / kBlock32; ++b) {
    const float* v = x + b * kBlock32;
    __m256 values[4];
    __m256 amax = _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
      values[i] = _mm256_loadu_ps(v + 8 * i);
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign_bit, values[i]));
    }
    const float max_abs = horizontal_max(amax);
    const float inverse = max_abs != 0 ? 127.0f / max_abs : 0.0f;
    const float d = fp16_to_fp32(fp32_to_fp16(max_abs / 127.0f));
    __m256i codes[4];
    for (int i = 0; i < 4; ++i) {
      const __m256 scaled = _mm256_mul_ps(values[i], _mm256_set1_ps(inverse));
      codes[i] = _mm256_cvtps_epi32(
          _mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    const int sum = horizontal_sum(_mm256_add_epi32(_mm256_add_epi32(codes[0], codes[1]),
                                                    _mm256_add_epi32(codes[2], codes[3])));
    const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(codes[0], codes[1]),
                                              _mm256_packs_epi32(codes[2], codes[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(blocks[b].qs),
                        _mm256_permutevar8x32_epi32(packed, byte_order));
    blocks[b].d = d;
    // GGML's Q8_1: s = d·Σq with the unrounded d, stored in half precision.
    blocks[b].sum = fp16_to_fp32(fp32_to_fp16(max_abs / 127.0f * static_cast<float>(sum)));
  }
}

// ---- Q4_1, Q5_0, Q5_1, IQ4_NL, MXFP4 -----------------------------------------------------

// The 32 nibbles of a legacy block as bytes 0..15 in value order (low nibbles are values
// 0..15, high nibbles 16..31).
WEFT_AVX2_FMA_F16C inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

// 0x10 in byte j where bit j of the little-endian word at `qh` is set: the fifth bit.
WEFT_AVX2_FMA_F16C inline __m256i fifth_bits(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  const __m256i byte_of_word =
      _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303);
  const __m256i spread =
      _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), byte_of_word);
  const __m256i bit_of_byte = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit_of_byte), bit_of_byte);
  return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

// The IQ4 value table in both 128-bit lanes, for _mm256_shuffle_epi8.
WEFT_AVX2_FMA_F16C inline __m256i iq4_table() {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4Values)));
}

// The 32 signed values (table entries) of an IQ4 sub-block, in value order.
WEFT_AVX2_FMA_F16C inline __m256i iq4_codes(const uint8_t* qs) {
  return _mm256_shuffle_epi8(iq4_table(), unpack_nibbles(qs));
}

// MXFP4's doubled E2M1 values in both 128-bit lanes, for _mm256_shuffle_epi8.
WEFT_AVX2_FMA_F16C inline __m256i mxfp4_table() {
  return _mm256_broadcastsi128_si256(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(kMxfp4DoubledValues)));
}

template <typename Block>
inline constexpr bool kHasMinimum =
    !std::is_same_v<Block, BlockQ5_0> && !std::is_same_v<Block, BlockIQ4_NL> &&
    !std::is_same_v<Block, BlockMXFP4>;

// The block's scale: its half-precision d, or MXFP4's power of two (halved, to match its
// doubled values).
template <typename Block>
WEFT_AVX2_FMA_F16C inline float legacy_scale(const Block& block) {
  if constexpr (std::is_same_v<Block, BlockMXFP4>) {
    return mxfp4_half_scale(block.e);
  } else {
    return half_to_float(block.d);
  }
}

template <typename Block>
WEFT_AVX2_FMA_F16C inline __m256i legacy_codes(const Block& block) {
  if constexpr (std::is_same_v<Block, BlockIQ4_NL>) {
    return iq4_codes(block.qs);
  } else if constexpr (std::is_same_v<Block, BlockMXFP4>) {
    return _mm256_shuffle_epi8(mxfp4_table(), unpack_nibbles(block.qs));
  } else if constexpr (std::is_same_v<Block, BlockQ4_1>) {
    return unpack_nibbles(block.qs);
  } else {
    const __m256i codes = _mm256_or_si256(unpack_nibbles(block.qs), fifth_bits(block.qh));
    if constexpr (std::is_same_v<Block, BlockQ5_0>) {
      return _mm256_sub_epi8(codes, _mm256_set1_epi8(16));
    } else {
      return codes;
    }
  }
}

// Q5_0 and IQ4_NL codes are signed (offset 16 removed; table values); Q4_1/Q5_1 codes stay unsigned
// and their minimum m contributes m·Σx̃ = m·sum per block.
template <typename Block, int Group>
WEFT_AVX2_FMA_F16C void dot_legacy(const std::byte* weight_row, const std::byte* const* act_rows,
                                   int64_t cols, float* results) {
  const auto* w = reinterpret_cast<const Block*>(weight_row);
  const ActivationQ8Sum* x[Group];
  for (int k = 0; k < Group; ++k) x[k] = reinterpret_cast<const ActivationQ8Sum*>(act_rows[k]);
  __m256 acc[Group];
  float minimum_total[Group] = {};
  for (int k = 0; k < Group; ++k) acc[k] = _mm256_setzero_ps();
  int64_t b = 0;
  if constexpr (!kHasMinimum<Block>) {
    // Two blocks a step into two sums, so that consecutive blocks do not wait for each
    // other's multiply-add (one activation row, decoding, is otherwise bound by that chain).
    // Every group size sums in this order: a row's result does not depend on its group.
    __m256 odd[Group];
    for (int k = 0; k < Group; ++k) odd[k] = _mm256_setzero_ps();
    for (; b + 1 < cols / kBlock32; b += 2) {
      const __m256i q_even = legacy_codes(w[b]);
      const __m256i q_odd = legacy_codes(w[b + 1]);
      const float d_even = legacy_scale(w[b]);
      const float d_odd = legacy_scale(w[b + 1]);
      for (int k = 0; k < Group; ++k) {
        const __m256i even_dot = signed_dot_i32(q_even, load256(x[k][b].qs));
        const __m256i odd_dot = signed_dot_i32(q_odd, load256(x[k][b + 1].qs));
        acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d_even * x[k][b].d), _mm256_cvtepi32_ps(even_dot),
                                 acc[k]);
        odd[k] = _mm256_fmadd_ps(_mm256_set1_ps(d_odd * x[k][b + 1].d), _mm256_cvtepi32_ps(odd_dot),
                                 odd[k]);
      }
    }
    for (int k = 0; k < Group; ++k) acc[k] = _mm256_add_ps(acc[k], odd[k]);
  }
  for (; b < cols / kBlock32; ++b) {
    const __m256i q = legacy_codes(w[b]);
    const float dw = legacy_scale(w[b]);
    for (int k = 0; k < Group; ++k) {
      const __m256i y = load256(x[k][b].qs);
      __m256i dot;
      if constexpr (kHasMinimum<Block>) {
        dot = unsigned_dot_i32(q, y);
      } else {
        dot = signed_dot_i32(q, y);
      }
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x[k][b].d), _mm256_cvtepi32_ps(dot), acc[k]);
    }
    if constexpr (kHasMinimum<Block>) {
      const float m = half_to_float(w[b].m);
      for (int k = 0; k < Group; ++k) minimum_total[k] += m * x[k][b].sum;
    }
  }
  for (int k = 0; k < Group; ++k) results[k] = horizontal_sum(acc[k]) + minimum_total[k];
}

// ---- K-quants ---------------------------------------------------------------------------

// From 16 int8 scales present in both 128-bit lanes: scale[2·pair] in the low eight int16
// lanes, scale[2·pair + 1] in the high eight (sign-extended), to multiply the maddubs
// products of 32 values that span two sub-blocks of 16.
WEFT_AVX2_FMA_F16C inline __m256i pair_scales(__m256i scales_both_lanes, int pair) {
  const auto low = static_cast<short>(((2 * pair) << 8) | 0x80);
  const auto high = static_cast<short>(((2 * pair + 1) << 8) | 0x80);
  const __m256i pick = _mm256_set_m128i(_mm_set1_epi16(high), _mm_set1_epi16(low));
  return _mm256_srai_epi16(_mm256_shuffle_epi8(scales_both_lanes, pick), 8);
}

WEFT_AVX2_FMA_F16C inline __m256i load_bsums(const BlockQ8_K& x) {
  return load256(x.bsums);
}

// Q2_K and Q3_K share a layout: each 128-value half reads 32 code bytes; bit pair `shift`
// of byte l is value 32·shift + l of the half, in sub-block 2·shift + l/16.
// Q2_K: value = d·scale·code − dmin·min with 2-bit codes and 4-bit scale/min per 16 values.
template <int Group>
WEFT_AVX2_FMA_F16C void dot_q2_k(const std::byte* weight_row, const std::byte* const* act_rows,
                                 int64_t cols, float* results) {
  const auto* w = reinterpret_cast<const BlockQ2_K*>(weight_row);
  const BlockQ8_K* x[Group];
  for (int k = 0; k < Group; ++k) x[k] = reinterpret_cast<const BlockQ8_K*>(act_rows[k]);
  __m256 acc[Group];
  __m256 minimum_acc[Group];
  for (int k = 0; k < Group; ++k) acc[k] = minimum_acc[k] = _mm256_setzero_ps();
  const __m256i two_bits = _mm256_set1_epi8(3);
  const __m128i nibble = _mm_set1_epi8(0x0f);
  for (int64_t b = 0; b < cols / kSuperBlock; ++b) {
    const BlockQ2_K& block = w[b];
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.scales));
    const __m256i scales = _mm256_broadcastsi128_si256(_mm_and_si128(packed, nibble));
    const __m256i minimums = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), nibble));
    __m256i sums[Group];
    for (int k = 0; k < Group; ++k) sums[k] = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const __m256i code_bytes = load256(block.qs + 32 * half);
      for (int shift = 0; shift < 4; ++shift) {
        const __m256i q = _mm256_and_si256(shift_right_16(code_bytes, 2 * shift), two_bits);
        const __m256i sc = pair_scales(scales, 4 * half + shift);
        for (int k = 0; k < Group; ++k) {
          const __m256i y = load256(x[k][b].qs + 128 * half + 32 * shift);
          sums[k] = _mm256_add_epi32(sums[k], _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), sc));
        }
      }
    }
    const float d = half_to_float(block.d);
    const float dmin = half_to_float(block.dmin);
    for (int k = 0; k < Group; ++k) {
      const __m256i mins = _mm256_madd_epi16(load_bsums(x[k][b]), minimums);
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * x[k][b].d), _mm256_cvtepi32_ps(sums[k]), acc[k]);
      minimum_acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(dmin * x[k][b].d), _mm256_cvtepi32_ps(mins),
                                       minimum_acc[k]);
    }
  }
  for (int k = 0; k < Group; ++k)
    results[k] = horizontal_sum(acc[k]) - horizontal_sum(minimum_acc[k]);
}

// The 16 signed scales of a Q3_K block (q3k_scales' values) as bytes: scale j has its low
// four bits in nibble j/8 of byte j%8 and its top two bits in bit pair j/4 of byte 8 + j%4.
WEFT_AVX2_FMA_F16C inline __m128i q3_k_scales(const uint8_t* packed) {
  uint64_t low_bytes;
  uint32_t high_bytes;
  std::memcpy(&low_bytes, packed, sizeof low_bytes);
  std::memcpy(&high_bytes, packed + 8, sizeof high_bytes);
  const __m128i nibble = _mm_set1_epi8(0x0f);
  const __m128i low_source = _mm_cvtsi64_si128(static_cast<long long>(low_bytes));
  const __m128i low = _mm_unpacklo_epi64(_mm_and_si128(low_source, nibble),
                                         _mm_and_si128(_mm_srli_epi16(low_source, 4), nibble));
  // Every 32-bit lane holds bytes 8..11; lane i shifts them by 2i, so byte j holds the pair
  // of scale j in its low bits (bits shifted in from the next byte land above bit 1).
  const __m128i high_source = _mm_set1_epi32(static_cast<int>(high_bytes));
  const __m128i high =
      _mm_and_si128(_mm_srlv_epi32(high_source, _mm_setr_epi32(0, 2, 4, 6)), _mm_set1_epi8(3));
  return _mm_sub_epi8(_mm_or_si128(low, _mm_slli_epi16(high, 4)), _mm_set1_epi8(32));
}

// Q3_K: value = d·scale·(code − 4·(1 − hbit)), i.e. the unsigned 3-bit code low + 4·hbit
// minus 4; the offset of 4 comes out exactly through 4·Σ scale·bsum.
template <int Group>
WEFT_AVX2_FMA_F16C void dot_q3_k(const std::byte* weight_row, const std::byte* const* act_rows,
                                 int64_t cols, float* results) {
  const auto* w = reinterpret_cast<const BlockQ3_K*>(weight_row);
  const BlockQ8_K* x[Group];
  for (int k = 0; k < Group; ++k) x[k] = reinterpret_cast<const BlockQ8_K*>(act_rows[k]);
  __m256 acc[Group];
  for (int k = 0; k < Group; ++k) acc[k] = _mm256_setzero_ps();
  const __m256i two_bits = _mm256_set1_epi8(3);
  const __m256i one_bit = _mm256_set1_epi8(1);
  for (int64_t b = 0; b < cols / kSuperBlock; ++b) {
    const BlockQ3_K& block = w[b];
    const __m128i scale_bytes = q3_k_scales(block.scales);
    const __m256i scales = _mm256_broadcastsi128_si256(scale_bytes);
    const __m256i scales16 = _mm256_cvtepi8_epi16(scale_bytes);
    const __m256i high_mask = load256(block.hmask);
    __m256i sums[Group];
    for (int k = 0; k < Group; ++k) sums[k] = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const __m256i code_bytes = load256(block.qs + 32 * half);
      for (int shift = 0; shift < 4; ++shift) {
        const __m256i low = _mm256_and_si256(shift_right_16(code_bytes, 2 * shift), two_bits);
        const __m256i high = _mm256_and_si256(shift_right_16(high_mask, 4 * half + shift), one_bit);
        const __m256i q = _mm256_or_si256(low, _mm256_slli_epi16(high, 2));
        const __m256i sc = pair_scales(scales, 4 * half + shift);
        for (int k = 0; k < Group; ++k) {
          const __m256i y = load256(x[k][b].qs + 128 * half + 32 * shift);
          sums[k] = _mm256_add_epi32(sums[k], _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), sc));
        }
      }
    }
    const float d = half_to_float(block.d);
    for (int k = 0; k < Group; ++k) {
      const __m256i offset = _mm256_madd_epi16(load_bsums(x[k][b]), scales16);
      const __m256i total = _mm256_sub_epi32(sums[k], _mm256_slli_epi32(offset, 2));
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * x[k][b].d), _mm256_cvtepi32_ps(total), acc[k]);
    }
  }
  for (int k = 0; k < Group; ++k) results[k] = horizontal_sum(acc[k]);
}

// The eight 6-bit scales and mins of a Q4_K/Q5_K block (k4_scale_min's values), one per
// byte, unpacked four at a time in 32-bit words: scales 0..3 and mins 0..3 are the low six
// bits of bytes 0..3 and 4..7; scales/mins 4..7 take their low four bits from the nibbles of
// bytes 8..11 and their top two from the spare top bits of bytes 0..3 / 4..7.
struct SubBlockScales {
  uint64_t scales;
  uint64_t mins;
  short scale(int j) const { return static_cast<short>((scales >> (8 * j)) & 0xff); }
};

inline SubBlockScales k_scales_and_mins(const uint8_t* packed) {
  uint32_t word[3];
  std::memcpy(word, packed, sizeof word);
  constexpr uint32_t kLow6 = 0x3f3f3f3f;
  constexpr uint32_t kLow4 = 0x0f0f0f0f;
  constexpr uint32_t kLow2 = 0x03030303;
  const uint32_t scales_low = word[0] & kLow6;
  const uint32_t mins_low = word[1] & kLow6;
  const uint32_t scales_high = (word[2] & kLow4) | (((word[0] >> 6) & kLow2) << 4);
  const uint32_t mins_high = ((word[2] >> 4) & kLow4) | (((word[1] >> 6) & kLow2) << 4);
  return {scales_low | (static_cast<uint64_t>(scales_high) << 32),
          mins_low | (static_cast<uint64_t>(mins_high) << 32)};
}

// Q5_K: as Q4_K (8 sub-blocks of 32, 6-bit scale and min) with a fifth code bit in qh:
// bit 2·pair of qh[l] for the low nibble of qs[32·pair + l], the next bit for the high one.
template <int Group>
WEFT_AVX2_FMA_F16C void dot_q5_k(const std::byte* weight_row, const std::byte* const* act_rows,
                                 int64_t cols, float* results) {
  const auto* w = reinterpret_cast<const BlockQ5_K*>(weight_row);
  const BlockQ8_K* x[Group];
  for (int k = 0; k < Group; ++k) x[k] = reinterpret_cast<const BlockQ8_K*>(act_rows[k]);
  __m256 acc[Group];
  __m256 minimum_acc[Group];
  for (int k = 0; k < Group; ++k) acc[k] = minimum_acc[k] = _mm256_setzero_ps();
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i one_bit = _mm256_set1_epi8(1);
  for (int64_t b = 0; b < cols / kSuperBlock; ++b) {
    const BlockQ5_K& block = w[b];
    const SubBlockScales sm = k_scales_and_mins(block.scales);
    // Each min covers 32 values, two 16-value bsums.
    const __m128i mins8 = _mm_cvtsi64_si128(static_cast<long long>(sm.mins));
    const __m256i minimums = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins8, mins8));
    const __m256i high_bits = load256(block.qh);
    __m256i sums[Group];
    for (int k = 0; k < Group; ++k) sums[k] = _mm256_setzero_si256();
    for (int pair = 0; pair < 4; ++pair) {
      const __m256i code_bytes = load256(block.qs + 32 * pair);
      const __m256i fifth_low = _mm256_and_si256(shift_right_16(high_bits, 2 * pair), one_bit);
      const __m256i fifth_high = _mm256_and_si256(shift_right_16(high_bits, 2 * pair + 1), one_bit);
      const __m256i low =
          _mm256_or_si256(_mm256_and_si256(code_bytes, nibble), _mm256_slli_epi16(fifth_low, 4));
      const __m256i high =
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(code_bytes, 4), nibble),
                          _mm256_slli_epi16(fifth_high, 4));
      const __m256i scale_low = _mm256_set1_epi16(sm.scale(2 * pair));
      const __m256i scale_high = _mm256_set1_epi16(sm.scale(2 * pair + 1));
      for (int k = 0; k < Group; ++k) {
        const int8_t* y = x[k][b].qs + 64 * pair;
        const __m256i p_low = _mm256_madd_epi16(_mm256_maddubs_epi16(low, load256(y)), scale_low);
        const __m256i p_high =
            _mm256_madd_epi16(_mm256_maddubs_epi16(high, load256(y + 32)), scale_high);
        sums[k] = _mm256_add_epi32(sums[k], _mm256_add_epi32(p_low, p_high));
      }
    }
    const float d = half_to_float(block.d);
    const float dmin = half_to_float(block.dmin);
    for (int k = 0; k < Group; ++k) {
      const __m256i mins = _mm256_madd_epi16(load_bsums(x[k][b]), minimums);
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * x[k][b].d), _mm256_cvtepi32_ps(sums[k]), acc[k]);
      minimum_acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(dmin * x[k][b].d), _mm256_cvtepi32_ps(mins),
                                       minimum_acc[k]);
    }
  }
  for (int k = 0; k < Group; ++k)
    results[k] = horizontal_sum(acc[k]) - horizontal_sum(minimum_acc[k]);
}

// ---- IQ4_XS -----------------------------------------------------------------------------

// value = d·(scale − 32)·table[nibble]: per sub-block of 32 the signed products summed in
// four-value lanes, times the sub-block's scale, then d_w·d_x per super-block. Q8_K codes
// stay within ±127, so moving the weights' sign onto them cannot overflow.
template <int Group>
WEFT_AVX2_FMA_F16C void dot_iq4_xs(const std::byte* weight_row, const std::byte* const* act_rows,
                                   int64_t cols, float* results) {
  const auto* w = reinterpret_cast<const BlockIQ4_XS*>(weight_row);
  const BlockQ8_K* x[Group];
  for (int k = 0; k < Group; ++k) x[k] = reinterpret_cast<const BlockQ8_K*>(act_rows[k]);
  __m256 acc[Group];
  for (int k = 0; k < Group; ++k) acc[k] = _mm256_setzero_ps();
  for (int64_t b = 0; b < cols / kSuperBlock; ++b) {
    const BlockIQ4_XS& block = w[b];
    __m256i sums[Group];
    for (int k = 0; k < Group; ++k) sums[k] = _mm256_setzero_si256();
    for (int sub = 0; sub < kSuperBlock / kBlock32; ++sub) {
      const __m256i q = iq4_codes(block.qs + kBlock32 / 2 * sub);
      const __m256i magnitude = _mm256_sign_epi8(q, q);
      const __m256i scale = _mm256_set1_epi16(static_cast<short>(iq4_xs_scale(block, sub)));
      for (int k = 0; k < Group; ++k) {
        const __m256i y = _mm256_sign_epi8(load256(x[k][b].qs + kBlock32 * sub), q);
        sums[k] =
            _mm256_add_epi32(sums[k], _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, y), scale));
      }
    }
    const float d = half_to_float(block.d);
    for (int k = 0; k < Group; ++k) {
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * x[k][b].d), _mm256_cvtepi32_ps(sums[k]), acc[k]);
    }
  }
  for (int k = 0; k < Group; ++k) results[k] = horizontal_sum(acc[k]);
}

// ---- BF16 -------------------------------------------------------------------------------

// A bfloat16 is the top half of a float: widening is a 16-bit shift.
WEFT_AVX2_FMA_F16C inline __m256 load_bf16(const uint16_t* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

template <int Group>
WEFT_AVX2_FMA_F16C void dot_bf16(const std::byte* weight_row, const std::byte* const* act_rows,
                                 int64_t cols, float* results) {
  const auto* w = reinterpret_cast<const uint16_t*>(weight_row);
  const float* x[Group];
  for (int k = 0; k < Group; ++k) x[k] = reinterpret_cast<const float*>(act_rows[k]);
  __m256 acc[Group][2];
  for (int k = 0; k < Group; ++k) acc[k][0] = acc[k][1] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= cols; i += 16) {
    const __m256 w0 = load_bf16(w + i);
    const __m256 w1 = load_bf16(w + i + 8);
    for (int k = 0; k < Group; ++k) {
      acc[k][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x[k] + i), acc[k][0]);
      acc[k][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x[k] + i + 8), acc[k][1]);
    }
  }
  for (int k = 0; k < Group; ++k) {
    float sum = horizontal_sum(_mm256_add_ps(acc[k][0], acc[k][1]));
    for (int64_t j = i; j < cols; ++j) sum += bf16_to_fp32(w[j]) * x[k][j];
    results[k] = sum;
  }
}

// ---- Dispatch ---------------------------------------------------------------------------

template <typename Block>
constexpr Dots legacy_dots() {
  return {&dot_legacy<Block, 1>, &dot_legacy<Block, 2>, &dot_legacy<Block, 3>,
          &dot_legacy<Block, 4>};
}

}  // namespace

namespace {

uint64_t q8_sum_row_bytes(int64_t cols) {
  return static_cast<uint64_t>(cols / kBlock32) * sizeof(ActivationQ8Sum);
}
uint64_t q8_k_super_bytes(int64_t cols) {
  return static_cast<uint64_t>(cols / kSuperBlock) * sizeof(BlockQ8_K);
}

// A legacy 32-value format: activations as Q8 blocks with their sums.
template <typename Block>
FormatKernel legacy_format_kernel(int64_t cols) {
  return {legacy_dots<Block>(), q8_sum_row_bytes(cols), ElementType::Q8_1, &round_q8_sum_row};
}

}  // namespace

FormatKernel avx2_q4_1_kernel(int64_t cols) {
  return legacy_format_kernel<BlockQ4_1>(cols);
}
FormatKernel avx2_q5_0_kernel(int64_t cols) {
  return legacy_format_kernel<BlockQ5_0>(cols);
}
FormatKernel avx2_q5_1_kernel(int64_t cols) {
  return legacy_format_kernel<BlockQ5_1>(cols);
}
FormatKernel avx2_iq4_nl_kernel(int64_t cols) {
  return legacy_format_kernel<BlockIQ4_NL>(cols);
}
FormatKernel avx2_mxfp4_kernel(int64_t cols) {
  return legacy_format_kernel<BlockMXFP4>(cols);
}
FormatKernel avx2_q2_k_kernel(int64_t cols) {
  return {{&dot_q2_k<1>, &dot_q2_k<2>, &dot_q2_k<3>, &dot_q2_k<4>},
          q8_k_super_bytes(cols),
          ElementType::Q8_K};
}
FormatKernel avx2_q3_k_kernel(int64_t cols) {
  return {{&dot_q3_k<1>, &dot_q3_k<2>, &dot_q3_k<3>, &dot_q3_k<4>},
          q8_k_super_bytes(cols),
          ElementType::Q8_K};
}
FormatKernel avx2_q5_k_kernel(int64_t cols) {
  return {{&dot_q5_k<1>, &dot_q5_k<2>, &dot_q5_k<3>, &dot_q5_k<4>},
          q8_k_super_bytes(cols),
          ElementType::Q8_K};
}
FormatKernel avx2_iq4_xs_kernel(int64_t cols) {
  return {{&dot_iq4_xs<1>, &dot_iq4_xs<2>, &dot_iq4_xs<3>, &dot_iq4_xs<4>},
          q8_k_super_bytes(cols),
          ElementType::Q8_K};
}
FormatKernel avx2_bf16_kernel(int64_t) {
  return {{&dot_bf16<1>, &dot_bf16<2>, &dot_bf16<3>, &dot_bf16<4>}, 0};
}

}  // namespace weft::tensor

#endif
