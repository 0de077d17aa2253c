// AVX2 matrix products. Activation rows are rounded once per product to the weight type's
// partner blocks (the same values rounded-activations produces), then each weight row is
// read once per group of up to four activation rows: a weight block is unpacked into int8
// once and multiplied with every row of the group (maddubs/madd), which is what makes
// prompt processing cheaper per token than decoding.
#include "tensor/x86/fast_matmul_avx2.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "tensor/cpu_format_traits.hpp"
#include "tensor/formats/half.hpp"
#include "tensor/formats/quant_blocks.hpp"
#include "tensor/x86/activation_quant_avx2.hpp"
#include "tensor/x86/fast_gemm_tiles.hpp"
#include "tensor/x86/fast_matmul_avx2_formats.hpp"
#include "tensor/x86/packed_kernels.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "tensor/x86/avx2_reductions.hpp"

namespace weft::tensor {
namespace {

using avx2::half_to_float;
using avx2::horizontal_sum;
using avx2::signed_dot_i32;

constexpr int kMaxGroup = 4;  // activation rows sharing one read of a weight row
constexpr int64_t kRowTile = 16;
constexpr int64_t kMaxRowsStreamed = 16;  // activation rows up to which the split is contiguous
constexpr int64_t kMinRowsForWeightTiles = 3;  // weight rows kept hot while a group walks over them

WEFT_AVX2_FMA_F16C inline __m256i unpack_q4_0(const uint8_t* qs) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
  return _mm256_sub_epi8(_mm256_and_si256(both, _mm256_set1_epi8(0x0f)), _mm256_set1_epi8(8));
}

template <typename WeightBlock, int Group>
WEFT_AVX2_FMA_F16C void dot_q8_family(const std::byte* weight_row, const std::byte* const* act_rows,
                                      int64_t cols, float* results) {
  const auto* w = reinterpret_cast<const WeightBlock*>(weight_row);
  const ActivationQ8* x[Group];
  for (int k = 0; k < Group; ++k) x[k] = reinterpret_cast<const ActivationQ8*>(act_rows[k]);
  __m256 acc[Group];
  for (int k = 0; k < Group; ++k) acc[k] = _mm256_setzero_ps();
  for (int64_t b = 0; b < cols / kBlock32; ++b) {
    __m256i q;
    if constexpr (std::is_same_v<WeightBlock, BlockQ4_0>) {
      q = unpack_q4_0(w[b].qs);
    } else {
      q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    }
    const float dw = half_to_float(w[b].d);
    for (int k = 0; k < Group; ++k) {
      const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[k][b].qs));
      const __m256 dot = _mm256_cvtepi32_ps(signed_dot_i32(q, y));
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x[k][b].d), dot, acc[k]);
    }
  }
  for (int k = 0; k < Group; ++k) results[k] = horizontal_sum(acc[k]);
}

template <int Group>
WEFT_AVX2_FMA_F16C void dot_q4_k(const std::byte* weight_row, const std::byte* const* act_rows,
                                 int64_t cols, float* results) {
  const auto* w = reinterpret_cast<const BlockQ4_K*>(weight_row);
  const BlockQ8_K* x[Group];
  for (int k = 0; k < Group; ++k) x[k] = reinterpret_cast<const BlockQ8_K*>(act_rows[k]);
  __m256 acc[Group];
  float min_total[Group] = {};
  for (int k = 0; k < Group; ++k) acc[k] = _mm256_setzero_ps();
  const __m256i low_mask = _mm256_set1_epi8(0x0f);
  for (int64_t b = 0; b < cols / kSuperBlock; ++b) {
    const BlockQ4_K& block = w[b];
    ScaleMin sm[8];
    for (int j = 0; j < 8; ++j) sm[j] = k4_scale_min(block.scales, j);
    __m256i sums[Group];
    for (int k = 0; k < Group; ++k) sums[k] = _mm256_setzero_si256();
    for (int pair = 0; pair < 4; ++pair) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * pair));
      const __m256i low = _mm256_and_si256(q, low_mask);
      const __m256i high = _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask);
      const __m256i scale_low = _mm256_set1_epi16(sm[2 * pair].scale);
      const __m256i scale_high = _mm256_set1_epi16(sm[2 * pair + 1].scale);
      for (int k = 0; k < Group; ++k) {
        const auto* y = reinterpret_cast<const __m256i*>(x[k][b].qs + 64 * pair);
        const __m256i p_low =
            _mm256_madd_epi16(_mm256_maddubs_epi16(low, _mm256_loadu_si256(y)), scale_low);
        const __m256i p_high =
            _mm256_madd_epi16(_mm256_maddubs_epi16(high, _mm256_loadu_si256(y + 1)), scale_high);
        sums[k] = _mm256_add_epi32(sums[k], _mm256_add_epi32(p_low, p_high));
      }
    }
    const float d = half_to_float(block.d);
    const float dmin = half_to_float(block.dmin);
    for (int k = 0; k < Group; ++k) {
      int mins = 0;
      for (int j = 0; j < 8; ++j)
        mins += sm[j].min * (x[k][b].bsums[2 * j] + x[k][b].bsums[2 * j + 1]);
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * x[k][b].d), _mm256_cvtepi32_ps(sums[k]), acc[k]);
      min_total[k] += dmin * x[k][b].d * static_cast<float>(mins);
    }
  }
  for (int k = 0; k < Group; ++k) results[k] = horizontal_sum(acc[k]) - min_total[k];
}

WEFT_AVX2_FMA_F16C inline __m256i two_scales(int8_t first, int8_t second) {
  return _mm256_set_m128i(_mm_set1_epi16(second), _mm_set1_epi16(first));
}

// Bits shift, shift+1 of every byte of `hb`, moved to bits 4-5 (the top of a 6-bit code).
WEFT_AVX2_FMA_F16C inline __m256i q6_high_bits(__m256i hb, int shift) {
  const __m256i moved = _mm256_srl_epi16(hb, _mm_cvtsi32_si128(shift));
  return _mm256_slli_epi16(_mm256_and_si256(moved, _mm256_set1_epi8(0x03)), 4);
}

// Q6_K values are stored as unsigned 0..63 with an offset of 32: the products use the
// unsigned codes and the offset is taken out through the activation's 16-value sums.
template <int Group>
WEFT_AVX2_FMA_F16C void dot_q6_k(const std::byte* weight_row, const std::byte* const* act_rows,
                                 int64_t cols, float* results) {
  const auto* w = reinterpret_cast<const BlockQ6_K*>(weight_row);
  const BlockQ8_K* x[Group];
  for (int k = 0; k < Group; ++k) x[k] = reinterpret_cast<const BlockQ8_K*>(act_rows[k]);
  __m256 acc[Group];
  float offset_total[Group] = {};
  for (int k = 0; k < Group; ++k) acc[k] = _mm256_setzero_ps();
  const __m256i low_mask = _mm256_set1_epi8(0x0f);
  for (int64_t b = 0; b < cols / kSuperBlock; ++b) {
    const BlockQ6_K& block = w[b];
    __m256i sums[Group];
    for (int k = 0; k < Group; ++k) sums[k] = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const auto* ql = reinterpret_cast<const __m256i*>(block.ql + 64 * half);
      const __m256i l0 = _mm256_loadu_si256(ql);
      const __m256i l1 = _mm256_loadu_si256(ql + 1);
      const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qh + 32 * half));
      const __m256i q[4] = {_mm256_or_si256(_mm256_and_si256(l0, low_mask), q6_high_bits(hb, 0)),
                            _mm256_or_si256(_mm256_and_si256(l1, low_mask), q6_high_bits(hb, 2)),
                            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low_mask),
                                            q6_high_bits(hb, 4)),
                            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low_mask),
                                            q6_high_bits(hb, 6))};
      const int8_t* sc = block.scales + 8 * half;
      const __m256i scales[4] = {two_scales(sc[0], sc[1]), two_scales(sc[2], sc[3]),
                                 two_scales(sc[4], sc[5]), two_scales(sc[6], sc[7])};
      for (int k = 0; k < Group; ++k) {
        const auto* y = reinterpret_cast<const __m256i*>(x[k][b].qs + 128 * half);
        for (int part = 0; part < 4; ++part) {
          const __m256i products = _mm256_maddubs_epi16(q[part], _mm256_loadu_si256(y + part));
          sums[k] = _mm256_add_epi32(sums[k], _mm256_madd_epi16(products, scales[part]));
        }
      }
    }
    const float d = half_to_float(block.d);
    for (int k = 0; k < Group; ++k) {
      int offset = 0;
      for (int j = 0; j < 16; ++j) offset += block.scales[j] * x[k][b].bsums[j];
      const float dd = d * x[k][b].d;
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(dd), _mm256_cvtepi32_ps(sums[k]), acc[k]);
      offset_total[k] += dd * static_cast<float>(32 * offset);
    }
  }
  for (int k = 0; k < Group; ++k) results[k] = horizontal_sum(acc[k]) - offset_total[k];
}

template <bool Half>
WEFT_AVX2_FMA_F16C inline __m256 load_weights(const void* row, int64_t i) {
  if constexpr (Half) {
    return _mm256_cvtph_ps(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(row) + i)));
  } else {
    return _mm256_loadu_ps(static_cast<const float*>(row) + i);
  }
}

// F16 (widened with F16C) or F32 weights times float32 activations.
template <bool Half, int Group>
WEFT_AVX2_FMA_F16C void dot_float(const std::byte* weight_row, const std::byte* const* act_rows,
                                  int64_t cols, float* results) {
  const float* x[Group];
  for (int k = 0; k < Group; ++k) x[k] = reinterpret_cast<const float*>(act_rows[k]);
  __m256 acc[Group][2];
  for (int k = 0; k < Group; ++k) acc[k][0] = acc[k][1] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= cols; i += 16) {
    const __m256 w0 = load_weights<Half>(weight_row, i);
    const __m256 w1 = load_weights<Half>(weight_row, i + 8);
    for (int k = 0; k < Group; ++k) {
      acc[k][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x[k] + i), acc[k][0]);
      acc[k][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x[k] + i + 8), acc[k][1]);
    }
  }
  for (int k = 0; k < Group; ++k) {
    float sum = horizontal_sum(_mm256_add_ps(acc[k][0], acc[k][1]));
    for (int64_t j = i; j < cols; ++j) {
      const float wj = Half ? fp16_to_fp32(reinterpret_cast<const uint16_t*>(weight_row)[j])
                            : reinterpret_cast<const float*>(weight_row)[j];
      sum += wj * x[k][j];
    }
    results[k] = sum;
  }
}

using GroupDot = FormatGroupDot;
static_assert(kMaxGroup == kFormatMaxGroup);

// A format's kernel, and its register-blocked tiles where it has them.
struct Plan {
  FormatKernel kernel;
  const TileKernels* tiles = nullptr;
};

uint64_t q8_row_bytes(int64_t cols) {
  return static_cast<uint64_t>(cols / kBlock32) * sizeof(ActivationQ8);
}
uint64_t q8_k_row_bytes(int64_t cols) {
  return static_cast<uint64_t>(cols / kSuperBlock) * sizeof(BlockQ8_K);
}

template <template <int> class Dot>
constexpr std::array<GroupDot, kMaxGroup> dots_of() {
  return {&Dot<1>::run, &Dot<2>::run, &Dot<3>::run, &Dot<4>::run};
}
template <typename Block>
struct Q8Family {
  template <int G>
  struct Dot {
    static void run(const std::byte* w, const std::byte* const* x, int64_t n, float* r) {
      dot_q8_family<Block, G>(w, x, n, r);
    }
  };
};
template <int G>
struct Q4KDot {
  static void run(const std::byte* w, const std::byte* const* x, int64_t n, float* r) {
    dot_q4_k<G>(w, x, n, r);
  }
};
template <int G>
struct Q6KDot {
  static void run(const std::byte* w, const std::byte* const* x, int64_t n, float* r) {
    dot_q6_k<G>(w, x, n, r);
  }
};
template <bool Half>
struct FloatFamily {
  template <int G>
  struct Dot {
    static void run(const std::byte* w, const std::byte* const* x, int64_t n, float* r) {
      dot_float<Half, G>(w, x, n, r);
    }
  };
};

// Rounded activations live for one product; a per-thread buffer that only ever grows keeps
// allocation off the decode path.
std::vector<std::byte>& activation_buffer() {
  thread_local std::vector<std::byte> buffer;
  return buffer;
}

// How many weight rows a thread takes at a time (a multiple of kPackedRows). Products of a
// few activation rows (decoding, a few streams) are bound by memory bandwidth, and each
// thread's hardware prefetchers need long contiguous runs: blocks of 16 rows handed out
// alternately made two threads 40 % slower than one (smollm2 Q8_0 tg128: 96 vs 153 tok/s),
// so there each thread takes one contiguous share.
int64_t rows_per_block(int64_t rows, int64_t n_rows, const ThreadPool& pool) {
  if (n_rows > kMaxRowsStreamed) return kRowTile;
  const auto threads = static_cast<int64_t>(pool.size());
  const int64_t share = (rows + threads - 1) / threads;
  return std::max(kRowTile, (share + kPackedRows - 1) / kPackedRows * kPackedRows);
}

// Calls body(first_row, end_row) for blocks of rows_per_block() weight rows, which the
// threads take from a shared counter: on a busy machine a thread that is descheduled for a
// while leaves its share to the others instead of holding everyone at the end of the
// product. Which thread computes a block does not change its results.
template <typename Body>
void for_each_row_block(int64_t rows, int64_t n_rows, ThreadPool& pool, const Body& body) {
  const int64_t block_rows = rows_per_block(rows, n_rows, pool);
  const int64_t row_blocks = (rows + block_rows - 1) / block_rows;
  std::atomic<int64_t> next_block{0};
  pool.parallel_for(pool.size(), [&](int64_t, int64_t, unsigned) {
    for (int64_t block = next_block.fetch_add(1, std::memory_order_relaxed); block < row_blocks;
         block = next_block.fetch_add(1, std::memory_order_relaxed)) {
      body(block * block_rows, std::min(rows, (block + 1) * block_rows));
    }
  });
}

// Within a block, a tile of activation rows stays in L1 while the block's weight rows pass
// over it.
void run_tiles(const TileKernels& tiles, const WeightMatrix& w, const std::byte* activations,
               uint64_t act_stride, int64_t n_rows, float* out, ThreadPool& pool) {
  // Decoding (a row or two) streams weight rows one at a time: several interleaved weight
  // streams measured ~3x slower there, where nothing is reused between rows anyway.
  const int64_t full_m = n_rows < kMinRowsForWeightTiles ? 1 : tiles.m;
  for_each_row_block(w.rows, n_rows, pool, [&](int64_t first_row, int64_t end_row) {
    for (int64_t first_act = 0; first_act < n_rows; first_act += tiles.n) {
      const auto n = static_cast<int>(std::min<int64_t>(tiles.n, n_rows - first_act));
      const std::byte* acts = activations + static_cast<uint64_t>(first_act) * act_stride;
      for (int64_t row = first_row; row < end_row; row += full_m) {
        const auto m = static_cast<int>(std::min<int64_t>(full_m, end_row - row));
        tiles.tiles[m - 1][n - 1](w.row(row), w.row_bytes, acts, act_stride, w.cols,
                                  out + first_act * w.rows + row, w.rows);
      }
    }
  });
}

// A thread's buffer of interleaved activation pairs, grown only, like activation_buffer().
std::vector<ActivationQ8Pair>& activation_pair_buffer() {
  thread_local std::vector<ActivationQ8Pair> buffer;
  return buffer;
}

// Two activation rows per 512-bit vector (Q4_0 and Q8_0 with VNNI): up to 16 rows at a time
// pass over each group of the block. Decoding streams read the weights from memory once per
// step this way, with the arithmetic of 512-bit vpdpbusd; prompts take 16 rows at a time.
void run_packed_twins(const PackedTiles& tiles, const WeightMatrix& w, const std::byte* activations,
                      uint64_t act_stride, int64_t n_rows, float* out, ThreadPool& pool) {
  const uint64_t group_bytes = packed_group_bytes(w.type, w.cols);
  const int64_t blocks = w.cols / 32;
  const int64_t n_pairs = (n_rows + 1) / 2;
  auto& pairs = activation_pair_buffer();
  if (pairs.size() < static_cast<size_t>(n_pairs * blocks))
    pairs.resize(static_cast<size_t>(n_pairs * blocks));
  // An odd last row is paired with itself (its second results are not stored).
  const auto interleave = [&](int64_t begin, int64_t end, unsigned) {
    for (int64_t p = begin; p < end; ++p) {
      const auto row = [&](int64_t i) {
        return reinterpret_cast<const ActivationQ8*>(activations +
                                                     static_cast<uint64_t>(i) * act_stride);
      };
      interleave_activation_pair(row(2 * p), row(std::min(2 * p + 1, n_rows - 1)), blocks,
                                 pairs.data() + p * blocks);
    }
  };
  if (n_rows > kMaxRowsStreamed) {
    pool.parallel_for(n_pairs, interleave);
  } else {
    interleave(0, n_pairs, 0);
  }
  constexpr int64_t kRowsPerCall = 2 * kPackedMaxActivationPairs;
  for_each_row_block(w.rows, n_rows, pool, [&](int64_t first_row, int64_t end_row) {
    for (int64_t first_act = 0; first_act < n_rows; first_act += kRowsPerCall) {
      const auto n = static_cast<int>(std::min(kRowsPerCall, n_rows - first_act));
      const PackedTwinTile twin = tiles.twin_tiles[(n + 1) / 2 - 1];
      const ActivationQ8Pair* first_pair = pairs.data() + first_act / 2 * blocks;
      for (int64_t row = first_row; row < end_row; row += kPackedRows) {
        const std::byte* group = w.packed + static_cast<uint64_t>(row / kPackedRows) * group_bytes;
        const auto valid = static_cast<int>(std::min<int64_t>(kPackedRows, end_row - row));
        twin(group, w.cols, first_pair, n, out + first_act * w.rows + row, w.rows, valid);
      }
    }
  });
}

// A thread's buffer of activation panels, grown only, like activation_buffer().
std::vector<ActivationQ8Panel>& activation_panel_buffer() {
  thread_local std::vector<ActivationQ8Panel> buffer;
  return buffer;
}

// Q8_0 on plain AVX2 (panel tiles): the activation rows' magnitudes and masks are made once,
// eight rows to a panel, and every group of weight rows passes over each panel in turn.
void run_packed_panels(const PackedTiles& tiles, const WeightMatrix& w,
                       const std::byte* activations, uint64_t act_stride, int64_t n_rows,
                       float* out, ThreadPool& pool) {
  const uint64_t group_bytes = packed_group_bytes(w.type, w.cols);
  const int64_t blocks = w.cols / 32;
  const int64_t n_panels = (n_rows + kPanelRows - 1) / kPanelRows;
  auto& panels = activation_panel_buffer();
  if (panels.size() < static_cast<size_t>(n_panels * blocks))
    panels.resize(static_cast<size_t>(n_panels * blocks));
  const auto make = [&](int64_t begin, int64_t end, unsigned) {
    make_activation_panels(activations, act_stride, n_rows, blocks, begin, end, panels.data());
  };
  if (n_rows > kMaxRowsStreamed) {
    pool.parallel_for(n_panels, make);
  } else {
    make(0, n_panels, 0);
  }
  const auto multiply = [&](int64_t row, int64_t end_row, int64_t panel) {
    const int64_t first_act = panel * kPanelRows;
    const auto n = static_cast<int>(std::min<int64_t>(kPanelRows, n_rows - first_act));
    const std::byte* group = w.packed + static_cast<uint64_t>(row / kPackedRows) * group_bytes;
    const auto valid = static_cast<int>(std::min<int64_t>(kPackedRows, end_row - row));
    tiles.panel_tile(group, w.cols, panels.data() + panel * blocks, n,
                     out + first_act * w.rows + row, w.rows, valid);
  };
  for_each_row_block(w.rows, n_rows, pool, [&](int64_t first_row, int64_t end_row) {
    if (n_rows <= kMaxRowsStreamed) {  // weights from memory: each group once, for all panels
      for (int64_t row = first_row; row < end_row; row += kPackedRows)
        for (int64_t panel = 0; panel < n_panels; ++panel) multiply(row, end_row, panel);
    } else {  // the block's groups stay in cache while the panels pass
      for (int64_t panel = 0; panel < n_panels; ++panel)
        for (int64_t row = first_row; row < end_row; row += kPackedRows)
          multiply(row, end_row, panel);
    }
  });
}

// Few activation rows (decoding streams) without twin tiles: the weights stream from memory,
// so each group is read once for all rows.
void run_packed_streamed(const PackedTiles& tiles, const WeightMatrix& w,
                         const std::byte* activations, uint64_t act_stride, int64_t n_rows,
                         float* out, ThreadPool& pool) {
  const uint64_t group_bytes = packed_group_bytes(w.type, w.cols);
  for_each_row_block(w.rows, n_rows, pool, [&](int64_t first_row, int64_t end_row) {
    for (int64_t row = first_row; row < end_row; row += kPackedRows) {
      const std::byte* group = w.packed + static_cast<uint64_t>(row / kPackedRows) * group_bytes;
      const auto valid = static_cast<int>(std::min<int64_t>(kPackedRows, end_row - row));
      for (int64_t first_act = 0; first_act < n_rows; first_act += tiles.max_n) {
        const auto n = static_cast<int>(std::min<int64_t>(tiles.max_n, n_rows - first_act));
        tiles.tiles[n - 1](group, w.cols,
                           activations + static_cast<uint64_t>(first_act) * act_stride, act_stride,
                           out + first_act * w.rows + row, w.rows, valid);
      }
    }
  });
}

// Packed weights: the same blocks, in groups of eight rows. Prompts (more rows than
// kMaxRowsStreamed) reuse a block of weight rows from the cache for every tile of activation
// rows, two groups at a time where there is a pair tile.
void run_packed(const PackedTiles& tiles, const WeightMatrix& w, const std::byte* activations,
                uint64_t act_stride, int64_t n_rows, float* out, ThreadPool& pool) {
  if (n_rows > 1 && tiles.twin_tiles[0] != nullptr) {
    run_packed_twins(tiles, w, activations, act_stride, n_rows, out, pool);
    return;
  }
  if (n_rows > 1 && tiles.panel_tile != nullptr) {
    run_packed_panels(tiles, w, activations, act_stride, n_rows, out, pool);
    return;
  }
  if (n_rows <= kMaxRowsStreamed) {
    run_packed_streamed(tiles, w, activations, act_stride, n_rows, out, pool);
    return;
  }
  const uint64_t group_bytes = packed_group_bytes(w.type, w.cols);
  for_each_row_block(w.rows, n_rows, pool, [&](int64_t first_row, int64_t end_row) {
    for (int64_t first_act = 0; first_act < n_rows; first_act += tiles.max_n) {
      const auto n = static_cast<int>(std::min<int64_t>(tiles.max_n, n_rows - first_act));
      const std::byte* acts = activations + static_cast<uint64_t>(first_act) * act_stride;
      int64_t row = first_row;
      const PackedPairTile pair = tiles.pair_tiles[n - 1];
      if (pair != nullptr) {
        for (; row + kPackedRows < end_row; row += 2 * kPackedRows) {
          const std::byte* group =
              w.packed + static_cast<uint64_t>(row / kPackedRows) * group_bytes;
          const auto valid = static_cast<int>(std::min<int64_t>(2 * kPackedRows, end_row - row));
          pair(group, group_bytes, w.cols, acts, act_stride, out + first_act * w.rows + row, w.rows,
               valid);
        }
      }
      for (; row < end_row; row += kPackedRows) {
        const std::byte* group = w.packed + static_cast<uint64_t>(row / kPackedRows) * group_bytes;
        const auto valid = static_cast<int>(std::min<int64_t>(kPackedRows, end_row - row));
        tiles.tiles[n - 1](group, w.cols, acts, act_stride, out + first_act * w.rows + row, w.rows,
                           valid);
      }
    }
  });
}

void run_groups(const Plan& plan, const WeightMatrix& w, const std::byte* activations,
                uint64_t act_stride, int64_t n_rows, float* out, ThreadPool& pool) {
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end, unsigned) {
    float results[kMaxGroup];
    const std::byte* group_rows[kMaxGroup];
    for (int64_t tile = begin; tile < end; tile += kRowTile) {
      const int64_t tile_end = std::min(end, tile + kRowTile);
      for (int64_t first = 0; first < n_rows; first += kMaxGroup) {
        const int group = static_cast<int>(std::min<int64_t>(kMaxGroup, n_rows - first));
        for (int k = 0; k < group; ++k)
          group_rows[k] = activations + static_cast<uint64_t>(first + k) * act_stride;
        const GroupDot dot = plan.kernel.dots[static_cast<size_t>(group - 1)];
        for (int64_t r = tile; r < tile_end; ++r) {
          dot(w.row(r), group_rows, w.cols, results);
          for (int k = 0; k < group; ++k) out[(first + k) * w.rows + r] = results[k];
        }
      }
    }
  });
}

}  // namespace

FormatKernel avx2_f32_kernel(int64_t) {
  return {dots_of<FloatFamily<false>::Dot>(), 0, ElementType::F32};
}
FormatKernel avx2_f16_kernel(int64_t) {
  return {dots_of<FloatFamily<true>::Dot>(), 0, ElementType::F32};
}
FormatKernel avx2_q8_0_kernel(int64_t cols) {
  return {dots_of<Q8Family<BlockQ8_0>::Dot>(), q8_row_bytes(cols), ElementType::Q8_0};
}
FormatKernel avx2_q4_0_kernel(int64_t cols) {
  return {dots_of<Q8Family<BlockQ4_0>::Dot>(), q8_row_bytes(cols), ElementType::Q8_0};
}
// Q4_K's activation rows carry q8k_scaled_sums() after their blocks for its tiles.
FormatKernel avx2_q4_k_kernel(int64_t cols) {
  const auto q4k_sums_bytes = static_cast<uint64_t>(cols / kSuperBlock) * 8 * sizeof(float);
  return {dots_of<Q4KDot>(), q8_k_row_bytes(cols) + q4k_sums_bytes, ElementType::Q8_K};
}
FormatKernel avx2_q6_k_kernel(int64_t cols) {
  return {dots_of<Q6KDot>(), q8_k_row_bytes(cols), ElementType::Q8_K};
}

void avx2_matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                 ThreadPool& pool, MatmulPath path) {
  // The format's entries, looked up once per product.
  const CpuFormatTraits& format = cpu_format_traits(w.type);
  const Plan plan{format.avx2_kernel(w.cols), format.vnni_tiles};
  const std::byte* activations = reinterpret_cast<const std::byte*>(x);
  uint64_t act_stride = static_cast<uint64_t>(w.cols) * sizeof(float);
  if (plan.kernel.act_row_bytes != 0) {
    auto& buffer = activation_buffer();
    act_stride = plan.kernel.act_row_bytes;
    if (buffer.size() < act_stride * static_cast<uint64_t>(n_rows))
      buffer.resize(act_stride * static_cast<uint64_t>(n_rows));
    std::byte* rounded = buffer.data();
    const auto round_rows = [&](int64_t begin, int64_t end, unsigned) {
      for (int64_t i = begin; i < end; ++i) {
        std::byte* dst = rounded + static_cast<uint64_t>(i) * act_stride;
        if (plan.kernel.round_row != nullptr) {
          plan.kernel.round_row(x + i * w.cols, dst, w.cols);
        } else if (plan.kernel.partner == ElementType::Q8_0) {
          avx2_quantize_activation_q8(x + i * w.cols, reinterpret_cast<ActivationQ8*>(dst), w.cols);
        } else {
          auto* blocks = reinterpret_cast<BlockQ8_K*>(dst);
          avx2_quantize_q8_k(x + i * w.cols, blocks, w.cols);
          if (plan.tiles != nullptr && plan.tiles->needs_scaled_sums) {
            const int64_t superblocks = w.cols / kSuperBlock;
            q8k_scaled_sums(blocks, superblocks, reinterpret_cast<float*>(blocks + superblocks));
          }
        }
      }
    };
    if (n_rows > 1) {
      pool.parallel_for(n_rows, round_rows);
    } else {
      round_rows(0, n_rows, 0);
    }
    activations = rounded;
  }
  if (w.packed != nullptr) {
    const bool vnni = path == MatmulPath::best && cpu_runs_vnni_tiles();
    run_packed(packed_tiles(w.type, vnni), w, activations, act_stride, n_rows, out, pool);
    return;
  }
  if (plan.tiles != nullptr && path == MatmulPath::best && cpu_runs_vnni_tiles()) {
    run_tiles(*plan.tiles, w, activations, act_stride, n_rows, out, pool);
    return;
  }
  run_groups(plan, w, activations, act_stride, n_rows, out, pool);
}

}  // namespace weft::tensor

#else  // not x86-64 with GCC/Clang: FastKernels never calls these

namespace weft::tensor {
void avx2_matmul(const WeightMatrix&, const float*, int64_t, float*, ThreadPool&, MatmulPath) {}
}  // namespace weft::tensor

#endif

namespace weft::tensor {

bool avx2_matmul_supports(ElementType type) {
  return cpu_format_traits(type).avx2_kernel != nullptr;
}

}  // namespace weft::tensor
