#include "tensor/x86/packed_kernels.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "tensor/formats/quant_blocks.hpp"
#include "tensor/weight_matrix.hpp"
#include "tensor/x86/activation_quant_avx2.hpp"
#include "tensor/x86/avx2_reductions.hpp"

namespace weft::tensor {
namespace {

// Lane r of `acc` to row_out[r], for r < valid_rows.
WEFT_AVX2_FMA_F16C inline void store_packed_row(__m256 acc, float* row_out, int valid_rows) {
  if (valid_rows == kPackedRows) {
    _mm256_storeu_ps(row_out, acc);
  } else {
    float lanes[kPackedRows];
    _mm256_storeu_ps(lanes, acc);
    std::memcpy(row_out, lanes, sizeof(float) * static_cast<size_t>(valid_rows));
  }
}

// Lane r of acc[j] to out[j·out_stride + r], for r < valid_rows.
template <int N>
WEFT_AVX2_FMA_F16C inline void store_packed_results(const __m256 (&acc)[N], float* out,
                                                    int64_t out_stride, int valid_rows) {
  for (int j = 0; j < N; ++j) store_packed_row(acc[j], out + j * out_stride, valid_rows);
}

// Where the weights stream from memory (decoding), the hardware prefetchers fell behind the
// tiles: their hottest instructions were the weight loads. Each tile prefetches its blocks'
// lines 2 KiB ahead (at a group's end, the next group's: groups follow each other; past the
// end of the matrix a prefetch is only a hint, which never faults). Interleaved A/B, four
// rounds, 2 threads: qwen2.5-0.5b Q8_0 16 streams 1.25x, 8 streams 1.07x, one stream 1.2x
// (Q4_0 too, on a host whose memory was busy); llama-3.2-1b Q4_K_M decode 1.08x; 1 to 4 KiB
// ahead measured alike.
inline void prefetch_ahead(const std::byte* block, uint64_t bytes) {
  constexpr uint64_t kAheadBytes = 2048;
  for (uint64_t line = 0; line < bytes; line += 64)
    _mm_prefetch(reinterpret_cast<const char*>(block + kAheadBytes + line), _MM_HINT_T0);
}

// 4-byte group k of an activation block's codes in every lane, loaded as a broadcast straight
// from memory (a load, or an operand of vpdpbusd itself). Through a general register, as a
// copy of the codes into an int32 array compiled, each group cost a register move and a
// cross-domain broadcast: the most frequent instructions of the tiles' inner loop.
WEFT_AVX2_FMA_F16C inline __m256i broadcast_group(const int8_t* codes, int k) {
  return _mm256_castps_si256(_mm256_broadcast_ss(reinterpret_cast<const float*>(codes) + k));
}

#define WEFT_PACKED_TARGET WEFT_AVX2_FMA_F16C
#define WEFT_PACKED_VNNI 0
#define WEFT_PACKED_TILE avx2_packed_tile
#include "tensor/x86/packed_kernels.inc"
#undef WEFT_PACKED_TARGET
#undef WEFT_PACKED_VNNI
#undef WEFT_PACKED_TILE

// rows[i] lane j ↔ rows[j] lane i.
WEFT_AVX2_FMA_F16C inline void transpose_8x8(__m256 (&rows)[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(rows[i], rows[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(rows[i], rows[i + 1]);
  }
  __m256 u[8];
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    rows[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    rows[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// make_activation_panels' body (an AVX2 function: only AVX2 products call it).
WEFT_AVX2_FMA_F16C void make_panels_avx2(const std::byte* acts, uint64_t act_stride, int64_t n_rows,
                                         int64_t blocks, int64_t first_panel, int64_t end_panel,
                                         ActivationQ8Panel* panels) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t p = first_panel; p < end_panel; ++p) {
    const int64_t first_row = p * kPanelRows;
    const int rows = static_cast<int>(std::min<int64_t>(kPanelRows, n_rows - first_row));
    for (int64_t b = 0; b < blocks; ++b) {
      ActivationQ8Panel& panel = panels[p * blocks + b];
      __m256 codes[8];  // row j's 32 codes; transposed, 4-byte group k of every row
      for (int j = 0; j < kPanelRows; ++j) {
        if (j < rows) {
          const auto& a = reinterpret_cast<const ActivationQ8*>(
              acts + static_cast<uint64_t>(first_row + j) * act_stride)[b];
          codes[j] = _mm256_loadu_ps(reinterpret_cast<const float*>(a.qs));
          panel.d[j] = a.d;
        } else {
          codes[j] = _mm256_setzero_ps();
          panel.d[j] = 0.0f;
        }
      }
      transpose_8x8(codes);
      __m256i negative_sum = _mm256_setzero_si256();
      for (int k = 0; k < 8; ++k) {
        const __m256i group = _mm256_castps_si256(codes[k]);
        const __m256i magnitude = _mm256_abs_epi8(group);
        const __m256i negative = _mm256_cmpgt_epi8(_mm256_setzero_si256(), group);
        _mm256_store_si256(reinterpret_cast<__m256i*>(panel.magnitudes[k]), magnitude);
        _mm256_store_si256(reinterpret_cast<__m256i*>(panel.negatives[k]), negative);
        negative_sum = _mm256_add_epi16(negative_sum, _mm256_maddubs_epi16(magnitude, negative));
      }
      // maddubs with the mask (-1 bytes) gave -Σ_{q<0} |q| per row; the panel holds its size,
      // which the tile adds back.
      _mm256_store_si256(
          reinterpret_cast<__m256i*>(panel.negative_sums),
          _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_madd_epi16(negative_sum, ones)));
    }
  }
}

// Q8_0 weights times a panel of eight activation rows (ActivationQ8Panel) on plain AVX2.
// Signed times signed bytes the usual way, maddubs(|w|, sign(a, w)) as avx2_packed_tile does,
// spends three instructions of the two vector pipes that multiply (vpsignb, vpmaddubsw and
// vpmaddwd shared two pipes on a Zen 5 host) per activation row and four bytes, and that tile
// was bound by those pipes. Here the activation's sign goes onto the weights as a mask:
// w ^ m with m = (q < 0 ? -1 : 0), an XOR, which any of the four pipes runs. For q < 0,
// w ^ m = -w - 1, so Σ|q|·(w ^ m) = Σ w·q - Σ_{q<0} |q|, a term of the activations alone
// (the panel's negative_sums). maddubs cannot saturate: |q| ≤ 127 meets w ∈ [-128, 127], and
// |q| ≤ 128 meets w ^ m ∈ [-128, 127], so a pair sums to [-32768, 32512]. The lanes are the
// activation rows, whose |q|, masks and sums are made once per product for every group of
// weight rows; each weight row's 4-byte group is broadcast. The integer dot is exact, and the
// float steps per output are avx2_packed_tile's (the two scales' product is the same either
// way round), so a row gets the same bits from either tile and in any batch.
WEFT_AVX2_FMA_F16C void avx2_q8_0_panel_tile(const std::byte* group, int64_t cols,
                                             const ActivationQ8Panel* panel, int n, float* out,
                                             int64_t out_stride, int valid_rows) {
  __m256 acc[kPackedRows];  // weight row r; lane j: activation row j
  for (auto& a : acc) a = _mm256_setzero_ps();
  const __m256i ones = _mm256_set1_epi16(1);
  const int64_t blocks = cols / 32;
  for (int64_t b = 0; b < blocks; ++b) {
    const std::byte* block = group + static_cast<uint64_t>(b) * kPackedQ8_0BlockBytes;
    prefetch_ahead(block, kPackedQ8_0BlockBytes);
    const ActivationQ8Panel& p = panel[b];
    __m256i dot[kPackedRows];
    for (auto& d : dot) d = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      const __m256i magnitude =
          _mm256_load_si256(reinterpret_cast<const __m256i*>(p.magnitudes[k]));
      const __m256i negative = _mm256_load_si256(reinterpret_cast<const __m256i*>(p.negatives[k]));
#pragma GCC unroll 8
      for (int r = 0; r < kPackedRows; ++r) {
        const __m256i masked = _mm256_xor_si256(
            broadcast_group(reinterpret_cast<const int8_t*>(block + 16 + 32 * k), r), negative);
        dot[r] = _mm256_add_epi32(dot[r],
                                  _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, masked), ones));
        // Pinned in a register: GCC otherwise regrouped the unrolled adds into a tree over
        // all 64 products of a block and spilled them.
        asm("" : "+x"(dot[r]));
      }
    }
    const __m256i negative_sums =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(p.negative_sums));
    const __m256 act_scales = _mm256_load_ps(p.d);
    alignas(32) float row_scales[kPackedRows];
    _mm256_store_ps(row_scales,
                    _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block))));
    for (int r = 0; r < kPackedRows; ++r) {
      const __m256i exact = _mm256_add_epi32(dot[r], negative_sums);
      acc[r] =
          _mm256_fmadd_ps(_mm256_cvtepi32_ps(exact),
                          _mm256_mul_ps(_mm256_broadcast_ss(row_scales + r), act_scales), acc[r]);
    }
  }
  transpose_8x8(acc);  // acc[j]: activation row j, lane r: weight row r
  for (int j = 0; j < n; ++j) store_packed_row(acc[j], out + j * out_stride, valid_rows);
}

#define WEFT_PACKED_TARGET \
  __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))
#define WEFT_PACKED_VNNI 1
#define WEFT_PACKED_TILE vnni_packed_tile
#include "tensor/x86/packed_kernels.inc"
#undef WEFT_PACKED_TARGET
#undef WEFT_PACKED_VNNI
#undef WEFT_PACKED_TILE

// GCC 12's AVX-512 intrinsics pass an `_mm512_undefined_*()` operand (a self-initialised
// variable) to their masked builtins, which -W(maybe-)uninitialized reports once inlined here.
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#define WEFT_VNNI_512 __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))

WEFT_VNNI_512 inline __m512i broadcast_group_512(const int8_t* codes, int k) {
  return _mm512_castps_si512(
      _mm512_broadcastss_ps(_mm_load_ss(reinterpret_cast<const float*>(codes) + k)));
}

// Bytes [offset, offset + 32) of a group (low half) and of the next group (high half).
WEFT_VNNI_512 inline __m512i pair_chunk(const std::byte* group, uint64_t group_bytes,
                                        uint64_t offset) {
  const auto* first = reinterpret_cast<const __m256i*>(group + offset);
  const auto* second = reinterpret_cast<const __m256i*>(group + group_bytes + offset);
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(first)),
                            _mm256_loadu_si256(second), 1);
}

// A group's 32-byte chunk of the eight rows' codes with each row's lane doubled: lanes 2r and
// 2r+1 are row r, to meet both rows of an activation pair.
WEFT_VNNI_512 inline __m512i each_lane_twice() {
  return _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
}
WEFT_VNNI_512 inline __m512i doubled_rows(const std::byte* chunk) {
  return _mm512_permutexvar_epi32(
      each_lane_twice(),
      _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(chunk))));
}

// Eight bytes in every 64-bit lane, straight from memory as broadcast_group does.
WEFT_VNNI_512 inline __m512i broadcast_pair(const void* bytes) {
  return _mm512_broadcastq_epi64(_mm_loadl_epi64(static_cast<const __m128i*>(bytes)));
}

// vnni_packed_tile with two activation rows per vector (PackedTwinTile): per lane the same
// integers, cvt, mul and fma as vnni_packed_tile, so a row gets the same bits from either.
// Decoding many streams reads the weights from memory once per step, so unlike the pair
// tiles' two groups, this keeps one weight stream.
template <typename Block, int P>
WEFT_VNNI_512 void vnni_packed_twin_tile(const std::byte* group, int64_t cols,
                                         const ActivationQ8Pair* pairs, int n, float* out,
                                         int64_t out_stride, int valid_rows) {
  __m512 acc[P];
  for (int p = 0; p < P; ++p) acc[p] = _mm512_setzero_ps();
  const __m512i low_nibbles = _mm512_set1_epi8(0x0f);
  constexpr bool kQ8 = std::is_same_v<Block, BlockQ8_0>;
  constexpr uint64_t kBlockBytes = kQ8 ? kPackedQ8_0BlockBytes : kPackedQ4_0BlockBytes;
  const int64_t blocks = cols / 32;
  for (int64_t b = 0; b < blocks; ++b) {
    const std::byte* block = group + static_cast<uint64_t>(b) * kBlockBytes;
    prefetch_ahead(block, kBlockBytes);
    const __m512 row_scales = _mm512_permutexvar_ps(
        each_lane_twice(), _mm512_castps256_ps512(_mm256_cvtph_ps(
                               _mm_loadu_si128(reinterpret_cast<const __m128i*>(block)))));
    __m512i codes[8];
    if constexpr (kQ8) {
      for (int k = 0; k < 8; ++k)
        codes[k] = _mm512_xor_si512(doubled_rows(block + 16 + 32 * k),
                                    _mm512_set1_epi8(static_cast<char>(0x80)));
    } else {
      for (int c = 0; c < 4; ++c) {
        const __m512i packed = doubled_rows(block + 16 + 32 * c);
        codes[c] = _mm512_and_si512(packed, low_nibbles);
        codes[4 + c] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles);
      }
    }
    // Unrolled, the pairs' accumulators stay in registers (GCC kept eight of them in memory
    // otherwise): 16 streams of qwen2.5-0.5b Q8_0 1.13x.
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) {
      const ActivationQ8Pair& a = pairs[p * blocks + b];
      const __m512i offset = _mm512_slli_epi32(broadcast_pair(a.sum), kQ8 ? 7 : 3);
      __m512i even = _mm512_dpbusd_epi32(_mm512_setzero_si512(), codes[0], broadcast_pair(a.qs));
      __m512i odd = _mm512_dpbusd_epi32(_mm512_setzero_si512(), codes[1], broadcast_pair(a.qs + 8));
      for (int k = 2; k < 8; k += 2) {
        even = _mm512_dpbusd_epi32(even, codes[k], broadcast_pair(a.qs + 8 * k));
        odd = _mm512_dpbusd_epi32(odd, codes[k + 1], broadcast_pair(a.qs + 8 * (k + 1)));
      }
      const __m512i dot = _mm512_sub_epi32(_mm512_add_epi32(even, odd), offset);
      const __m512 d = _mm512_castsi512_ps(broadcast_pair(a.d));
      acc[p] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(row_scales, d), acc[p]);
    }
  }
  // Lanes 2r, 2r+1 to row r of the pair's first and second activation row.
  const __m512i first_then_second =
      _mm512_set_epi32(15, 13, 11, 9, 7, 5, 3, 1, 14, 12, 10, 8, 6, 4, 2, 0);
  const auto lanes = static_cast<__mmask8>((1u << valid_rows) - 1);
  for (int p = 0; p < P; ++p) {
    const __m512 rows = _mm512_permutexvar_ps(first_then_second, acc[p]);
    _mm256_mask_storeu_ps(out + 2 * p * out_stride, lanes, _mm512_castps512_ps256(rows));
    if (2 * p + 1 < n)
      _mm256_mask_storeu_ps(out + (2 * p + 1) * out_stride, lanes,
                            _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(rows), 1)));
  }
}

// Eight bytes at `offset` of a group and of the next group, widened to the sixteen int32 lanes.
WEFT_VNNI_512 inline __m512i pair_bytes_to_int32(const std::byte* group, uint64_t group_bytes,
                                                 uint64_t offset) {
  const __m128i both = _mm_unpacklo_epi64(
      _mm_loadl_epi64(reinterpret_cast<const __m128i*>(group + offset)),
      _mm_loadl_epi64(reinterpret_cast<const __m128i*>(group + group_bytes + offset)));
  return _mm512_cvtepu8_epi32(both);
}

// Sixteen fp16 values at `offset` of a group and of the next group, as floats.
WEFT_VNNI_512 inline __m512 pair_halves(const std::byte* group, uint64_t group_bytes,
                                        uint64_t offset) {
  const __m256i both = _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(group + offset))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(group + group_bytes + offset)), 1);
  return _mm512_cvtph_ps(both);
}

// q4_k_tile over two groups with vpdpbusd: each sub-block's codes · activation sum to int32 in
// eight vpdpbusd, times the sub-block's scale (vpmulld), then the minimums as q4_k_tile forms
// them. The integers are exact either way, and the float steps per lane are q4_k_tile's, so a
// row gets the same bits from both.
template <int N>
WEFT_VNNI_512 void vnni_q4_k_pair_tile(const std::byte* group, uint64_t group_bytes, int64_t cols,
                                       const std::byte* acts, uint64_t act_stride, float* out,
                                       int64_t out_stride, int valid_rows) {
  const BlockQ8_K* x[N];
  for (int j = 0; j < N; ++j) x[j] = reinterpret_cast<const BlockQ8_K*>(acts + j * act_stride);
  __m512 acc[N];
  __m512 acc_min[N];
  for (int j = 0; j < N; ++j) acc[j] = acc_min[j] = _mm512_setzero_ps();
  const __m512i low_nibbles = _mm512_set1_epi8(0x0f);
  const int64_t superblocks = cols / 256;
  for (int64_t b = 0; b < superblocks; ++b) {
    const std::byte* block = group + static_cast<uint64_t>(b) * kPackedQ4_KBlockBytes;
    const __m512 row_d = pair_halves(block, group_bytes, 0);
    const __m512 row_dmin = pair_halves(block, group_bytes, 16);
    __m512i sums[N];
    for (int j = 0; j < N; ++j) sums[j] = _mm512_setzero_si512();
    for (int pair = 0; pair < 4; ++pair) {
      const uint64_t codes_at = 160 + 256 * static_cast<uint64_t>(pair);
      __m512i low[8];
      __m512i high[8];
      for (int c = 0; c < 8; ++c) {
        const __m512i packed = pair_chunk(block, group_bytes, codes_at + 32 * c);
        low[c] = _mm512_and_si512(packed, low_nibbles);
        high[c] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles);
      }
      const __m512i scale_low = pair_bytes_to_int32(block, group_bytes, 32 + 16 * pair);
      const __m512i scale_high = pair_bytes_to_int32(block, group_bytes, 32 + 16 * pair + 8);
      for (int j = 0; j < N; ++j) {
        const int8_t* values = x[j][b].qs + 64 * pair;
        __m512i low_dot =
            _mm512_dpbusd_epi32(_mm512_setzero_si512(), low[0], broadcast_group_512(values, 0));
        __m512i high_dot =
            _mm512_dpbusd_epi32(_mm512_setzero_si512(), high[0], broadcast_group_512(values, 8));
        for (int c = 1; c < 8; ++c) {
          low_dot = _mm512_dpbusd_epi32(low_dot, low[c], broadcast_group_512(values, c));
          high_dot = _mm512_dpbusd_epi32(high_dot, high[c], broadcast_group_512(values, 8 + c));
        }
        sums[j] =
            _mm512_add_epi32(sums[j], _mm512_add_epi32(_mm512_mullo_epi32(low_dot, scale_low),
                                                       _mm512_mullo_epi32(high_dot, scale_high)));
      }
    }
    __m512i min_pairs[4];  // the minimums of sub-blocks 2q, 2q+1 as an int16 pair per lane
    for (int q = 0; q < 4; ++q) {
      const __m512i first = pair_bytes_to_int32(block, group_bytes, 96 + 16 * q);
      const __m512i second = pair_bytes_to_int32(block, group_bytes, 96 + 16 * q + 8);
      min_pairs[q] = _mm512_or_si512(first, _mm512_slli_epi32(second, 16));
    }
    for (int j = 0; j < N; ++j) {
      const BlockQ8_K& a = x[j][b];
      __m512i mins = _mm512_setzero_si512();
      for (int q = 0; q < 4; ++q) {
        const int first = a.bsums[4 * q] + a.bsums[4 * q + 1];
        const int second = a.bsums[4 * q + 2] + a.bsums[4 * q + 3];
        const __m512i sum_pair = _mm512_set1_epi32(static_cast<int32_t>(
            (static_cast<uint32_t>(second) << 16) | (static_cast<uint32_t>(first) & 0xffffu)));
        mins = _mm512_add_epi32(mins, _mm512_madd_epi16(min_pairs[q], sum_pair));
      }
      const __m512 dx = _mm512_set1_ps(a.d);
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[j]), _mm512_mul_ps(row_d, dx), acc[j]);
      acc_min[j] =
          _mm512_fmadd_ps(_mm512_cvtepi32_ps(mins), _mm512_mul_ps(row_dmin, dx), acc_min[j]);
    }
  }
  const auto lanes = static_cast<__mmask16>((1u << valid_rows) - 1);
  for (int j = 0; j < N; ++j)
    _mm512_mask_storeu_ps(out + j * out_stride, lanes, _mm512_sub_ps(acc[j], acc_min[j]));
}

// Q4_K with Q8_K activations: per sub-block of 32 values, eight maddubs of the rows' codes
// with broadcast 4-byte groups of the activation are summed in int16 (below 8 · 2 · 15 · 128
// = 30720: no saturation), then one madd multiplies by the rows' sub-block scales (as int16
// pairs) and sums to int32. The minimums come in per super-block through the activation's
// 32-value sums, also with madd. Float work is two FMAs per super-block and row.
template <int N>
WEFT_AVX2_FMA_F16C void q4_k_tile(const std::byte* group, int64_t cols, const std::byte* acts,
                                  uint64_t act_stride, float* out, int64_t out_stride,
                                  int valid_rows) {
  const BlockQ8_K* x[N];
  for (int j = 0; j < N; ++j) x[j] = reinterpret_cast<const BlockQ8_K*>(acts + j * act_stride);
  __m256 acc[N];
  __m256 acc_min[N];
  for (int j = 0; j < N; ++j) acc[j] = acc_min[j] = _mm256_setzero_ps();
  const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
  const int64_t superblocks = cols / 256;
  for (int64_t b = 0; b < superblocks; ++b) {
    const std::byte* block = group + static_cast<uint64_t>(b) * kPackedQ4_KBlockBytes;
    prefetch_ahead(block, kPackedQ4_KBlockBytes);
    const __m256 row_d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block)));
    const __m256 row_dmin =
        _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16)));
    // Per lane (row): the scale of sub-block s as an int16 pair (scale, scale), and the
    // minimums of sub-blocks 2q, 2q+1 as an int16 pair.
    __m256i scale_pairs[8];
    for (int s = 0; s < 8; ++s) {
      const __m256i scale = _mm256_cvtepu8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 32 + 8 * s)));
      scale_pairs[s] = _mm256_or_si256(scale, _mm256_slli_epi32(scale, 16));
    }
    __m256i min_pairs[4];
    for (int q = 0; q < 4; ++q) {
      const __m256i first = _mm256_cvtepu8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 96 + 16 * q)));
      const __m256i second = _mm256_cvtepu8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 96 + 16 * q + 8)));
      min_pairs[q] = _mm256_or_si256(first, _mm256_slli_epi32(second, 16));
    }
    __m256i sums[N];
    for (int j = 0; j < N; ++j) sums[j] = _mm256_setzero_si256();
    for (int pair = 0; pair < 4; ++pair) {
      const std::byte* codes_at = block + 160 + 256 * pair;
      __m256i low[8];
      __m256i high[8];
      for (int c = 0; c < 8; ++c) {
        const __m256i packed =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes_at + 32 * c));
        low[c] = _mm256_and_si256(packed, low_nibbles);
        high[c] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_nibbles);
      }
      for (int j = 0; j < N; ++j) {
        const int8_t* groups = x[j][b].qs + 64 * pair;  // values 64·pair .. +63, four at a time
        __m256i low_sum = _mm256_maddubs_epi16(low[0], broadcast_group(groups, 0));
        __m256i high_sum = _mm256_maddubs_epi16(high[0], broadcast_group(groups, 8));
        for (int c = 1; c < 8; ++c) {
          low_sum =
              _mm256_add_epi16(low_sum, _mm256_maddubs_epi16(low[c], broadcast_group(groups, c)));
          high_sum = _mm256_add_epi16(
              high_sum, _mm256_maddubs_epi16(high[c], broadcast_group(groups, 8 + c)));
        }
        sums[j] = _mm256_add_epi32(
            sums[j], _mm256_add_epi32(_mm256_madd_epi16(low_sum, scale_pairs[2 * pair]),
                                      _mm256_madd_epi16(high_sum, scale_pairs[2 * pair + 1])));
      }
    }
    for (int j = 0; j < N; ++j) {
      const BlockQ8_K& a = x[j][b];
      __m256i mins = _mm256_setzero_si256();
      for (int q = 0; q < 4; ++q) {
        // 32-value sums of sub-blocks 2q and 2q+1 (|sum| ≤ 4096 fits int16).
        const int first = a.bsums[4 * q] + a.bsums[4 * q + 1];
        const int second = a.bsums[4 * q + 2] + a.bsums[4 * q + 3];
        const __m256i sum_pair = _mm256_set1_epi32(static_cast<int32_t>(
            (static_cast<uint32_t>(second) << 16) | (static_cast<uint32_t>(first) & 0xffffu)));
        mins = _mm256_add_epi32(mins, _mm256_madd_epi16(min_pairs[q], sum_pair));
      }
      const __m256 dx = _mm256_set1_ps(a.d);
      acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[j]), _mm256_mul_ps(row_d, dx), acc[j]);
      acc_min[j] =
          _mm256_fmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_mul_ps(row_dmin, dx), acc_min[j]);
    }
  }
  for (int j = 0; j < N; ++j) acc[j] = _mm256_sub_ps(acc[j], acc_min[j]);
  store_packed_results<N>(acc, out, out_stride, valid_rows);
}

// Q6_K with Q8_K activations. Half h (128 values) and chunk c (0..7) give, from ql chunks
// A = 16h + c and B = 16h + 8 + c and qh chunk H = 8h + c, the codes of values 128h + 4c + 32k
// for k = 0..3: (A & 15 | (H & 3) << 4), (B & 15 | (H >> 2 & 3) << 4), (A >> 4 | (H >> 4 & 3)
// << 4), (B >> 4 | (H >> 6) << 4). A scale covers 16 values: chunks c = 4·part .. 4·part + 3
// of one k. Codes are unsigned (0..63): two maddubs fit int16 (2 · 2 · 63 · 128 = 32256); the
// offset 32 comes out through the activation's 16-value sums.
// Scale g of the eight rows of `block`, as int32 lanes (a macro: a lambda would not inherit
// the function's target attribute).
#define WEFT_Q6K_SCALE(g) \
  _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 16 + 8 * (g))))

template <int N>
WEFT_AVX2_FMA_F16C void q6_k_tile(const std::byte* group, int64_t cols, const std::byte* acts,
                                  uint64_t act_stride, float* out, int64_t out_stride,
                                  int valid_rows) {
  const BlockQ8_K* x[N];
  for (int j = 0; j < N; ++j) x[j] = reinterpret_cast<const BlockQ8_K*>(acts + j * act_stride);
  __m256 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm256_setzero_ps();
  const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
  const __m256i two_bits = _mm256_set1_epi8(0x03);
  const __m256i low_words = _mm256_set1_epi32(0xffff);
  const int64_t superblocks = cols / 256;
  for (int64_t b = 0; b < superblocks; ++b) {
    const std::byte* block = group + static_cast<uint64_t>(b) * kPackedQ6_KBlockBytes;
    prefetch_ahead(block, kPackedQ6_KBlockBytes);
    const auto* ql = reinterpret_cast<const __m256i*>(block + 144);
    const auto* qh = reinterpret_cast<const __m256i*>(block + 1168);
    const __m256 row_d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block)));
    __m256i sums[N];
    for (int j = 0; j < N; ++j) sums[j] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      for (int part = 0; part < 2; ++part) {
        for (int k = 0; k < 4; ++k) {
          const __m256i scale = WEFT_Q6K_SCALE(8 * h + 2 * k + part);
          const __m256i scale_pair =
              _mm256_or_si256(_mm256_and_si256(scale, low_words), _mm256_slli_epi32(scale, 16));
          __m256i codes[4];
          for (int i = 0; i < 4; ++i) {
            const int c = 4 * part + i;
            const __m256i low_source = _mm256_loadu_si256(ql + 16 * h + (k % 2 == 0 ? 0 : 8) + c);
            const __m256i low = k < 2 ? low_source : _mm256_srli_epi16(low_source, 4);
            const __m256i high = _mm256_and_si256(
                _mm256_srli_epi16(_mm256_loadu_si256(qh + 8 * h + c), 2 * k), two_bits);
            codes[i] =
                _mm256_or_si256(_mm256_and_si256(low, low_nibbles), _mm256_slli_epi16(high, 4));
          }
          for (int j = 0; j < N; ++j) {
            const int8_t* groups = x[j][b].qs + 128 * h + 32 * k + 16 * part;  // 16 values
            const __m256i first =
                _mm256_add_epi16(_mm256_maddubs_epi16(codes[0], broadcast_group(groups, 0)),
                                 _mm256_maddubs_epi16(codes[1], broadcast_group(groups, 1)));
            const __m256i second =
                _mm256_add_epi16(_mm256_maddubs_epi16(codes[2], broadcast_group(groups, 2)),
                                 _mm256_maddubs_epi16(codes[3], broadcast_group(groups, 3)));
            sums[j] =
                _mm256_add_epi32(sums[j], _mm256_add_epi32(_mm256_madd_epi16(first, scale_pair),
                                                           _mm256_madd_epi16(second, scale_pair)));
          }
        }
      }
    }
    // Σ_g scale_g · (16-value sum g), taken out 32 times: the codes' offset.
    __m256i scale_pairs[8];
    for (int t = 0; t < 8; ++t) {
      scale_pairs[t] = _mm256_or_si256(_mm256_and_si256(WEFT_Q6K_SCALE(2 * t), low_words),
                                       _mm256_slli_epi32(WEFT_Q6K_SCALE(2 * t + 1), 16));
    }
    for (int j = 0; j < N; ++j) {
      const BlockQ8_K& a = x[j][b];
      __m256i offset = _mm256_setzero_si256();
      for (int t = 0; t < 8; ++t) {
        const __m256i sum_pair = _mm256_set1_epi32(static_cast<int32_t>(
            (static_cast<uint32_t>(static_cast<uint16_t>(a.bsums[2 * t + 1])) << 16) |
            static_cast<uint16_t>(a.bsums[2 * t])));
        offset = _mm256_add_epi32(offset, _mm256_madd_epi16(scale_pairs[t], sum_pair));
      }
      const __m256i exact = _mm256_sub_epi32(sums[j], _mm256_slli_epi32(offset, 5));
      acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(exact), _mm256_mul_ps(row_d, _mm256_set1_ps(a.d)),
                               acc[j]);
    }
  }
  store_packed_results<N>(acc, out, out_stride, valid_rows);
}
#undef WEFT_Q6K_SCALE

// Eight signed bytes at `offset` of a group and of the next group, as sixteen int32 lanes.
WEFT_VNNI_512 inline __m512i pair_signed_bytes_to_int32(const std::byte* group,
                                                        uint64_t group_bytes, uint64_t offset) {
  const __m128i both = _mm_unpacklo_epi64(
      _mm_loadl_epi64(reinterpret_cast<const __m128i*>(group + offset)),
      _mm_loadl_epi64(reinterpret_cast<const __m128i*>(group + group_bytes + offset)));
  return _mm512_cvtepi8_epi32(both);
}

// q6_k_tile over two groups with vpdpbusd: each 16-value scale group's codes · activation sum
// to int32 in four vpdpbusd, times the scale (vpmulld); the offset 32 as q6_k_tile takes it
// out. The same integers and float steps per lane as q6_k_tile, so the same bits.
template <int N>
WEFT_VNNI_512 void vnni_q6_k_pair_tile(const std::byte* group, uint64_t group_bytes, int64_t cols,
                                       const std::byte* acts, uint64_t act_stride, float* out,
                                       int64_t out_stride, int valid_rows) {
  const BlockQ8_K* x[N];
  for (int j = 0; j < N; ++j) x[j] = reinterpret_cast<const BlockQ8_K*>(acts + j * act_stride);
  __m512 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm512_setzero_ps();
  const __m512i low_nibbles = _mm512_set1_epi8(0x0f);
  const __m512i two_bits = _mm512_set1_epi8(0x03);
  const __m512i low_words = _mm512_set1_epi32(0xffff);
  const int64_t superblocks = cols / 256;
  for (int64_t b = 0; b < superblocks; ++b) {
    const std::byte* block = group + static_cast<uint64_t>(b) * kPackedQ6_KBlockBytes;
    const __m512 row_d = pair_halves(block, group_bytes, 0);
    __m512i sums[N];
    for (int j = 0; j < N; ++j) sums[j] = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      for (int part = 0; part < 2; ++part) {
        for (int k = 0; k < 4; ++k) {
          const __m512i scale = pair_signed_bytes_to_int32(
              block, group_bytes, 16 + 8 * static_cast<uint64_t>(8 * h + 2 * k + part));
          __m512i codes[4];
          for (int i = 0; i < 4; ++i) {
            const int c = 4 * part + i;
            const uint64_t low_at =
                144 + 32 * static_cast<uint64_t>(16 * h + (k % 2 == 0 ? 0 : 8) + c);
            const __m512i low_source = pair_chunk(block, group_bytes, low_at);
            const __m512i low = k < 2 ? low_source : _mm512_srli_epi16(low_source, 4);
            const uint64_t high_at = 1168 + 32 * static_cast<uint64_t>(8 * h + c);
            const __m512i high = _mm512_and_si512(
                _mm512_srli_epi16(pair_chunk(block, group_bytes, high_at), 2 * k), two_bits);
            codes[i] =
                _mm512_or_si512(_mm512_and_si512(low, low_nibbles), _mm512_slli_epi16(high, 4));
          }
          for (int j = 0; j < N; ++j) {
            const int8_t* values = x[j][b].qs + 128 * h + 32 * k + 16 * part;
            __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), codes[0],
                                              broadcast_group_512(values, 0));
            for (int i = 1; i < 4; ++i)
              dot = _mm512_dpbusd_epi32(dot, codes[i], broadcast_group_512(values, i));
            sums[j] = _mm512_add_epi32(sums[j], _mm512_mullo_epi32(dot, scale));
          }
        }
      }
    }
    __m512i scale_pairs[8];
    for (int t = 0; t < 8; ++t) {
      scale_pairs[t] = _mm512_or_si512(
          _mm512_and_si512(
              pair_signed_bytes_to_int32(block, group_bytes, 16 + 8 * static_cast<uint64_t>(2 * t)),
              low_words),
          _mm512_slli_epi32(pair_signed_bytes_to_int32(block, group_bytes,
                                                       16 + 8 * static_cast<uint64_t>(2 * t + 1)),
                            16));
    }
    for (int j = 0; j < N; ++j) {
      const BlockQ8_K& a = x[j][b];
      __m512i offset = _mm512_setzero_si512();
      for (int t = 0; t < 8; ++t) {
        const __m512i sum_pair = _mm512_set1_epi32(static_cast<int32_t>(
            (static_cast<uint32_t>(static_cast<uint16_t>(a.bsums[2 * t + 1])) << 16) |
            static_cast<uint16_t>(a.bsums[2 * t])));
        offset = _mm512_add_epi32(offset, _mm512_madd_epi16(scale_pairs[t], sum_pair));
      }
      const __m512i exact = _mm512_sub_epi32(sums[j], _mm512_slli_epi32(offset, 5));
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), _mm512_mul_ps(row_d, _mm512_set1_ps(a.d)),
                               acc[j]);
    }
  }
  const auto lanes = static_cast<__mmask16>((1u << valid_rows) - 1);
  for (int j = 0; j < N; ++j) _mm512_mask_storeu_ps(out + j * out_stride, lanes, acc[j]);
}
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif

template <typename Block>
constexpr PackedTiles kAvx2Tiles{4,
                                 {&avx2_packed_tile<Block, 1>, &avx2_packed_tile<Block, 2>,
                                  &avx2_packed_tile<Block, 3>, &avx2_packed_tile<Block, 4>}};
constexpr PackedTiles kAvx2Q8_0Tiles{
    1, {&avx2_packed_tile<BlockQ8_0, 1>}, {}, {}, &avx2_q8_0_panel_tile};
template <typename Block>
constexpr PackedTiles kVnniTiles{
    1,
    {&vnni_packed_tile<Block, 1>},
    {},
    {&vnni_packed_twin_tile<Block, 1>, &vnni_packed_twin_tile<Block, 2>,
     &vnni_packed_twin_tile<Block, 3>, &vnni_packed_twin_tile<Block, 4>,
     &vnni_packed_twin_tile<Block, 5>, &vnni_packed_twin_tile<Block, 6>,
     &vnni_packed_twin_tile<Block, 7>, &vnni_packed_twin_tile<Block, 8>}};

// The K-quant products gain nothing from VNNI's vpdpwssd (one chained instruction per
// sub-block was slower than madd + add), so every AVX2 CPU runs these.
constexpr PackedTiles kQ4KTiles{4, {&q4_k_tile<1>, &q4_k_tile<2>, &q4_k_tile<3>, &q4_k_tile<4>}};
constexpr PackedTiles kQ4KVnniTiles{4,
                                    {&q4_k_tile<1>, &q4_k_tile<2>, &q4_k_tile<3>, &q4_k_tile<4>},
                                    {&vnni_q4_k_pair_tile<1>, &vnni_q4_k_pair_tile<2>,
                                     &vnni_q4_k_pair_tile<3>, &vnni_q4_k_pair_tile<4>}};
constexpr PackedTiles kQ6KTiles{4, {&q6_k_tile<1>, &q6_k_tile<2>, &q6_k_tile<3>, &q6_k_tile<4>}};
constexpr PackedTiles kQ6KVnniTiles{4,
                                    {&q6_k_tile<1>, &q6_k_tile<2>, &q6_k_tile<3>, &q6_k_tile<4>},
                                    {&vnni_q6_k_pair_tile<1>, &vnni_q6_k_pair_tile<2>,
                                     &vnni_q6_k_pair_tile<3>, &vnni_q6_k_pair_tile<4>}};

}  // namespace

void make_activation_panels(const std::byte* acts, uint64_t act_stride, int64_t n_rows,
                            int64_t blocks, int64_t first_panel, int64_t end_panel,
                            ActivationQ8Panel* panels) {
  make_panels_avx2(acts, act_stride, n_rows, blocks, first_panel, end_panel, panels);
}

const PackedTiles& packed_tiles(ElementType type, bool vnni) {
  if (type == ElementType::Q4_K) return vnni ? kQ4KVnniTiles : kQ4KTiles;
  if (type == ElementType::Q6_K) return vnni ? kQ6KVnniTiles : kQ6KTiles;
  if (type == ElementType::Q8_0) return vnni ? kVnniTiles<BlockQ8_0> : kAvx2Q8_0Tiles;
  return vnni ? kVnniTiles<BlockQ4_0> : kAvx2Tiles<BlockQ4_0>;
}

}  // namespace weft::tensor

#else  // no x86-64: packed_products_available() is false and nothing packs

namespace weft::tensor {
void make_activation_panels(const std::byte*, uint64_t, int64_t, int64_t, int64_t, int64_t,
                            ActivationQ8Panel*) {}
const PackedTiles& packed_tiles(ElementType, bool) {
  static const PackedTiles none;
  return none;
}
}  // namespace weft::tensor

#endif
