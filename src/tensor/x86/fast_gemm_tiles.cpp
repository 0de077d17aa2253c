// VNNI matrix-product tiles (see fast_gemm_tiles.hpp). Per format:
//
// * Q8_0 and Q4_0 weights with Q8_0-style activations: weight codes are made unsigned
//   (Q8_0 + 128; Q4_0 nibbles without their offset 8) so one vpdpbusd multiplies a block;
//   the offset times the activation block's Σq is taken out by starting the dot product at
//   -offset·Σq. The exact integer dot is then scaled by d_w·d_x in float32.
// * Q4_K and Q6_K weights with Q8_K activations: maddubs of the unsigned codes with the
//   activations, then vpdpwssd applies the sub-block scales and accumulates. Q4_K's
//   minimum and Q6_K's offset 32 are folded in through the activation's 16-value sums.
#include "tensor/x86/fast_gemm_tiles.hpp"

#include "tensor/cpu_features.hpp"
#include "tensor/cpu_format_traits.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstring>
#include <type_traits>
#include <utility>

#include "tensor/formats/quant_blocks.hpp"
#include "tensor/x86/activation_quant_avx2.hpp"
#include "tensor/x86/avx2_reductions.hpp"

#define WEFT_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))

namespace weft::tensor {
namespace {

using avx2::horizontal_sum;

WEFT_VNNI inline __m256 broadcast_half(uint16_t h) {
  return _mm256_set1_ps(_cvtsh_ss(h));
}

template <int M, int N>
WEFT_VNNI inline void store_tile(const __m256 (&acc)[M][N], float* out, int64_t out_stride) {
  for (int j = 0; j < N; ++j)
    for (int i = 0; i < M; ++i) out[j * out_stride + i] = horizontal_sum(acc[i][j]);
}

// Unsigned codes of a Q8_0 (value + 128) or Q4_0 (nibble) block, and the offset they carry.
template <typename Block>
WEFT_VNNI inline __m256i unsigned_codes(const Block& block) {
  if constexpr (std::is_same_v<Block, BlockQ4_0>) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.qs));
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
  } else {
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs));
    return _mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80)));
  }
}
template <typename Block>
constexpr int kCodeOffset = std::is_same_v<Block, BlockQ4_0> ? 8 : 128;

template <typename Block, int M, int N>
WEFT_VNNI void tile_q8_family(const std::byte* weights, uint64_t weight_stride,
                              const std::byte* acts, uint64_t act_stride, int64_t cols, float* out,
                              int64_t out_stride) {
  const Block* w[M];
  const ActivationQ8* x[N];
  for (int i = 0; i < M; ++i) w[i] = reinterpret_cast<const Block*>(weights + i * weight_stride);
  for (int j = 0; j < N; ++j) x[j] = reinterpret_cast<const ActivationQ8*>(acts + j * act_stride);
  __m256 acc[M][N];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int64_t b = 0; b < cols / kBlock32; ++b) {
    __m256i q[M];
    __m256 dw[M];
    for (int i = 0; i < M; ++i) {
      q[i] = unsigned_codes(w[i][b]);
      dw[i] = broadcast_half(w[i][b].d);
    }
    for (int j = 0; j < N; ++j) {
      const ActivationQ8& block = x[j][b];
      const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs));
      const __m256i start = _mm256_setr_epi32(-kCodeOffset<Block> * block.sum, 0, 0, 0, 0, 0, 0, 0);
      const __m256 dx = _mm256_set1_ps(block.d);
      for (int i = 0; i < M; ++i) {
        const __m256 dot = _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(start, q[i], y));
        acc[i][j] = _mm256_fmadd_ps(dot, _mm256_mul_ps(dw[i], dx), acc[i][j]);
      }
    }
  }
  store_tile<M, N>(acc, out, out_stride);
}

// Q4_K: the 8 six-bit sub-block scales (low 128 bits) and mins (high 128 bits) of a
// super-block as int16, unpacked from their 12 bytes with 32-bit word operations (byte-wise
// stores read back as a vector would stall store forwarding).
WEFT_VNNI inline __m256i q4k_scales_mins(const uint8_t* packed) {
  uint32_t u[3];
  std::memcpy(u, packed, sizeof u);
  const uint32_t scales_low = u[0] & 0x3f3f3f3fu;
  const uint32_t mins_low = u[1] & 0x3f3f3f3fu;
  const uint32_t scales_high = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
  const uint32_t mins_high = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
  const __m128i bytes = _mm_setr_epi32(static_cast<int>(scales_low), static_cast<int>(scales_high),
                                       static_cast<int>(mins_low), static_cast<int>(mins_high));
  return _mm256_cvtepu8_epi16(bytes);
}

// Every int16 lane of the low (first) and high (second) 128 bits set to elements `first`
// and `second` of `values`, whose two 128-bit halves must be equal.
WEFT_VNNI inline __m256i spread_int16(__m256i values, int first, int second) {
  const __m256i mask =
      _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>((2 * second + 1) << 8 | 2 * second)),
                       _mm_set1_epi16(static_cast<int16_t>((2 * first + 1) << 8 | 2 * first)));
  return _mm256_shuffle_epi8(values, mask);
}

template <int M, int N>
WEFT_VNNI void tile_q4_k(const std::byte* weights, uint64_t weight_stride, const std::byte* acts,
                         uint64_t act_stride, int64_t cols, float* out, int64_t out_stride) {
  const BlockQ4_K* w[M];
  const BlockQ8_K* x[N];
  for (int i = 0; i < M; ++i)
    w[i] = reinterpret_cast<const BlockQ4_K*>(weights + i * weight_stride);
  for (int j = 0; j < N; ++j) x[j] = reinterpret_cast<const BlockQ8_K*>(acts + j * act_stride);
  // d·(32-value sums) of each activation row, stored after its blocks (needs_scaled_sums).
  const float* scaled_sums[N];
  for (int j = 0; j < N; ++j)
    scaled_sums[j] = reinterpret_cast<const float*>(x[j] + cols / kSuperBlock);
  __m256 acc[M][N];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) acc[i][j] = _mm256_setzero_ps();
  const __m256i low_mask = _mm256_set1_epi8(0x0f);
  for (int64_t b = 0; b < cols / kSuperBlock; ++b) {
    __m256i scales[M];      // the 8 scales in both 128-bit halves
    __m256 scaled_mins[M];  // dmin·min per sub-block
    for (int i = 0; i < M; ++i) {
      const __m256i both = q4k_scales_mins(w[i][b].scales);
      scales[i] = _mm256_permute4x64_epi64(both, 0x44);
      const __m256i mins = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(both, 1));
      scaled_mins[i] = _mm256_mul_ps(_mm256_cvtepi32_ps(mins), broadcast_half(w[i][b].dmin));
    }
    __m256i sums[M][N];
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) sums[i][j] = _mm256_setzero_si256();
    for (int pair = 0; pair < 4; ++pair) {
      __m256i low[M], high[M], scale_low[M], scale_high[M];
      for (int i = 0; i < M; ++i) {
        const __m256i q =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i][b].qs + 32 * pair));
        low[i] = _mm256_and_si256(q, low_mask);
        high[i] = _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask);
        scale_low[i] = spread_int16(scales[i], 2 * pair, 2 * pair);
        scale_high[i] = spread_int16(scales[i], 2 * pair + 1, 2 * pair + 1);
      }
      for (int j = 0; j < N; ++j) {
        const auto* y = reinterpret_cast<const __m256i*>(x[j][b].qs + 64 * pair);
        const __m256i y0 = _mm256_loadu_si256(y);
        const __m256i y1 = _mm256_loadu_si256(y + 1);
        for (int i = 0; i < M; ++i) {
          sums[i][j] =
              _mm256_dpwssd_epi32(sums[i][j], _mm256_maddubs_epi16(low[i], y0), scale_low[i]);
          sums[i][j] =
              _mm256_dpwssd_epi32(sums[i][j], _mm256_maddubs_epi16(high[i], y1), scale_high[i]);
        }
      }
    }
    __m256 d[M];
    for (int i = 0; i < M; ++i) d[i] = broadcast_half(w[i][b].d);
    for (int j = 0; j < N; ++j) {
      const __m256 dx = _mm256_set1_ps(x[j][b].d);
      const __m256 act_sums = _mm256_loadu_ps(scaled_sums[j] + 8 * b);
      for (int i = 0; i < M; ++i) {
        acc[i][j] =
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[i][j]), _mm256_mul_ps(d[i], dx), acc[i][j]);
        acc[i][j] = _mm256_fnmadd_ps(scaled_mins[i], act_sums, acc[i][j]);
      }
    }
  }
  store_tile<M, N>(acc, out, out_stride);
}

// Bits shift, shift+1 of every byte of `hb`, moved to bits 4-5 (the top of a 6-bit code).
template <int Shift>
WEFT_VNNI inline __m256i q6_high_bits(__m256i hb) {
  const __m256i moved = Shift == 0 ? hb : _mm256_srli_epi16(hb, Shift);
  return _mm256_slli_epi16(_mm256_and_si256(moved, _mm256_set1_epi8(0x03)), 4);
}

template <int M, int N>
WEFT_VNNI void tile_q6_k(const std::byte* weights, uint64_t weight_stride, const std::byte* acts,
                         uint64_t act_stride, int64_t cols, float* out, int64_t out_stride) {
  const BlockQ6_K* w[M];
  const BlockQ8_K* x[N];
  for (int i = 0; i < M; ++i)
    w[i] = reinterpret_cast<const BlockQ6_K*>(weights + i * weight_stride);
  for (int j = 0; j < N; ++j) x[j] = reinterpret_cast<const BlockQ8_K*>(acts + j * act_stride);
  __m256 acc[M][N];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) acc[i][j] = _mm256_setzero_ps();
  const __m256i low_mask = _mm256_set1_epi8(0x0f);
  for (int64_t b = 0; b < cols / kSuperBlock; ++b) {
    __m256i sums[M][N];
    // The offset 32 of every code: -32·Σ scale·(16-value activation sum), exact in int32.
    __m256i scales16[M];
    for (int i = 0; i < M; ++i) {
      scales16[i] =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[i][b].scales)));
    }
    for (int j = 0; j < N; ++j) {
      const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[j][b].bsums));
      for (int i = 0; i < M; ++i)
        sums[i][j] = _mm256_slli_epi32(
            _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_madd_epi16(scales16[i], bsums)), 5);
    }
    for (int half = 0; half < 2; ++half) {
      __m256i q[M][4];
      for (int i = 0; i < M; ++i) {
        const BlockQ6_K& block = w[i][b];
        const auto* ql = reinterpret_cast<const __m256i*>(block.ql + 64 * half);
        const __m256i l0 = _mm256_loadu_si256(ql);
        const __m256i l1 = _mm256_loadu_si256(ql + 1);
        const __m256i hb =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qh + 32 * half));
        q[i][0] = _mm256_or_si256(_mm256_and_si256(l0, low_mask), q6_high_bits<0>(hb));
        q[i][1] = _mm256_or_si256(_mm256_and_si256(l1, low_mask), q6_high_bits<2>(hb));
        q[i][2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low_mask),
                                  q6_high_bits<4>(hb));
        q[i][3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low_mask),
                                  q6_high_bits<6>(hb));
      }
      __m256i half_scales[M];  // this half's 8 scales in both 128-bit halves
      for (int i = 0; i < M; ++i)
        half_scales[i] = half == 0 ? _mm256_permute4x64_epi64(scales16[i], 0x44)
                                   : _mm256_permute4x64_epi64(scales16[i], 0xee);
      for (int part = 0; part < 4; ++part) {
        __m256i scale[M];
        for (int i = 0; i < M; ++i) scale[i] = spread_int16(half_scales[i], 2 * part, 2 * part + 1);
        for (int j = 0; j < N; ++j) {
          const __m256i y = _mm256_loadu_si256(
              reinterpret_cast<const __m256i*>(x[j][b].qs + 128 * half + 32 * part));
          for (int i = 0; i < M; ++i)
            sums[i][j] =
                _mm256_dpwssd_epi32(sums[i][j], _mm256_maddubs_epi16(q[i][part], y), scale[i]);
        }
      }
    }
    for (int i = 0; i < M; ++i) {
      const __m256 d = broadcast_half(w[i][b].d);
      for (int j = 0; j < N; ++j) {
        acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[i][j]),
                                    _mm256_mul_ps(d, _mm256_set1_ps(x[j][b].d)), acc[i][j]);
      }
    }
  }
  store_tile<M, N>(acc, out, out_stride);
}

// Every tile shape up to M × N of one kernel template.
template <template <int, int> class Kernel, int I, int... J>
constexpr void fill_tile_row(TileKernels& set, std::integer_sequence<int, J...>) {
  ((set.tiles[I][J] = &Kernel<I + 1, J + 1>::run), ...);
}
template <template <int, int> class Kernel, int N, int... I>
constexpr void fill_tiles(TileKernels& set, std::integer_sequence<int, I...>) {
  (fill_tile_row<Kernel, I>(set, std::make_integer_sequence<int, N>()), ...);
}
template <template <int, int> class Kernel, int M, int N>
constexpr TileKernels tiles_of() {
  TileKernels set;
  set.m = M;
  set.n = N;
  fill_tiles<Kernel, N>(set, std::make_integer_sequence<int, M>());
  return set;
}

constexpr TileKernels with_scaled_sums(TileKernels set) {
  set.needs_scaled_sums = true;
  return set;
}

template <typename Block>
struct Q8FamilyTile {
  template <int M, int N>
  struct Kernel {
    static void run(const std::byte* w, uint64_t ws, const std::byte* x, uint64_t xs, int64_t c,
                    float* o, int64_t os) {
      tile_q8_family<Block, M, N>(w, ws, x, xs, c, o, os);
    }
  };
};
template <int M, int N>
struct Q4KTile {
  static void run(const std::byte* w, uint64_t ws, const std::byte* x, uint64_t xs, int64_t c,
                  float* o, int64_t os) {
    tile_q4_k<M, N>(w, ws, x, xs, c, o, os);
  }
};
template <int M, int N>
struct Q6KTile {
  static void run(const std::byte* w, uint64_t ws, const std::byte* x, uint64_t xs, int64_t c,
                  float* o, int64_t os) {
    tile_q6_k<M, N>(w, ws, x, xs, c, o, os);
  }
};

}  // namespace

constexpr TileKernels kVnniTilesQ8_0 = tiles_of<Q8FamilyTile<BlockQ8_0>::Kernel, 4, 4>();
constexpr TileKernels kVnniTilesQ4_0 = tiles_of<Q8FamilyTile<BlockQ4_0>::Kernel, 4, 4>();
constexpr TileKernels kVnniTilesQ4_K = with_scaled_sums(tiles_of<Q4KTile, 1, 8>());
constexpr TileKernels kVnniTilesQ6_K = tiles_of<Q6KTile, 1, 8>();

bool cpu_runs_vnni_tiles() {
  const CpuFeatures& f = cpu_features();
  return cpu_has_avx2_fma_f16c() && f.avx512f && f.avx512vl && f.avx512bw && f.avx512vnni;
}

}  // namespace weft::tensor

#else  // not x86-64 with GCC/Clang

namespace weft::tensor {
bool cpu_runs_vnni_tiles() {
  return false;
}
}  // namespace weft::tensor

#endif

namespace weft::tensor {

const TileKernels* vnni_tiles_for(ElementType type) {
  return cpu_format_traits(type).vnni_tiles;
}

}  // namespace weft::tensor
