// Matrix products over packed weights (packed_weights.hpp): Q4_0 and Q8_0 with Q8_0-style
// rounded activations (ActivationQ8), Q4_K and Q6_K with Q8_K ones. One call multiplies a
// group of eight weight rows with n ≤ max_n activation rows. Q4_0/Q8_0 have two builds of one
// body, chosen by the caller from cpu_runs_vnni_tiles(): AVX-512 VNNI (vpdpbusd on 256-bit
// vectors for one activation row, on 512-bit vectors over activation pairs for more) and
// plain AVX2 (maddubs/madd, up to 4 rows; Q8_0 over panels of eight activation rows). The
// K-quant products are AVX2 on every CPU, with 512-bit pair tiles for prompts where there is VNNI.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/formats/element_type.hpp"
#include "tensor/x86/activation_quant_avx2.hpp"

namespace weft::tensor {

inline constexpr int kPackedMaxActivationRows = 8;

// out[j·out_stride + r] = weight row r of `group` · activation row j, for r < valid_rows
// (≤ 8) and j < n; activation rows are `act_stride` bytes apart.
using PackedTile = void (*)(const std::byte* group, int64_t cols, const std::byte* acts,
                            uint64_t act_stride, float* out, int64_t out_stride, int valid_rows);

// The same for two consecutive groups (`group_bytes` apart) at once: valid_rows ≤ 16, rows
// past the first group's eight from the second. Each output is the bits the one-group tile
// gives it.
using PackedPairTile = void (*)(const std::byte* group, uint64_t group_bytes, int64_t cols,
                                const std::byte* acts, uint64_t act_stride, float* out,
                                int64_t out_stride, int valid_rows);

// One group times n ≤ 2·kPackedMaxActivationPairs activation rows given as interleaved pairs
// (ActivationQ8Pair, activation_quant_avx2.hpp; pair p at pairs + p·blocks): the lanes of a
// 512-bit vector are the eight rows twice, each lane pair one weight row times both rows of
// an activation pair, so the 512-bit vpdpbusd runs over one stream of weights. Each output is
// the bits the one-group tile gives it.
using PackedTwinTile = void (*)(const std::byte* group, int64_t cols, const ActivationQ8Pair* pairs,
                                int n, float* out, int64_t out_stride, int valid_rows);
inline constexpr int kPackedMaxActivationPairs = 8;

// One block of eight activation rows for the AVX2 Q8_0 panel tile: per 4-byte group k, row j's
// codes 4k..4k+3 in lane j, as magnitudes |q| and as the mask (q < 0); per row the block's
// Σ_{q<0} |q| and scale. Rows past the last are zero. Made once per product
// (make_activation_panels) and read by every group of weight rows.
struct alignas(32) ActivationQ8Panel {
  uint8_t magnitudes[8][32];
  int8_t negatives[8][32];
  int32_t negative_sums[8];
  float d[8];
};
inline constexpr int kPanelRows = 8;

// Panel p of `panels` (p·blocks .. (p+1)·blocks - 1) from activation rows 8p .. 8p + 7 of
// `acts` (`act_stride` bytes apart), for p in [first_panel, end_panel); n_rows in all.
void make_activation_panels(const std::byte* acts, uint64_t act_stride, int64_t n_rows,
                            int64_t blocks, int64_t first_panel, int64_t end_panel,
                            ActivationQ8Panel* panels);

// One group times the n ≤ 8 activation rows of a panel (ActivationQ8Panel, `blocks` of it):
// the lanes of a vector are the activation rows, and each weight row's 4-byte groups are
// broadcast. Each output is the bits the one-group tile gives it.
using PackedPanelTile = void (*)(const std::byte* group, int64_t cols,
                                 const ActivationQ8Panel* panel, int n, float* out,
                                 int64_t out_stride, int valid_rows);

struct PackedTiles {
  int max_n = 0;                                    // activation rows per call (of `tiles`)
  PackedTile tiles[kPackedMaxActivationRows] = {};  // tiles[n - 1] takes n activation rows
  // Q4_K and Q6_K with VNNI: 512-bit vectors over two groups, which vpdpbusd runs at about
  // twice the multiply-adds per second of 256-bit ones (a Zen 4 core: 2.3 G/s of either);
  // empty elsewhere.
  PackedPairTile pair_tiles[kPackedMaxActivationRows] = {};
  // Q4_0 and Q8_0 with VNNI: twin_tiles[p - 1] takes p activation pairs (two or more rows:
  // one row runs tiles[0]); empty elsewhere.
  PackedTwinTile twin_tiles[kPackedMaxActivationPairs] = {};
  // Q8_0 on plain AVX2: two or more rows (one row runs tiles[0]); empty elsewhere.
  PackedPanelTile panel_tile = nullptr;
};

// For Q4_0, Q4_K or Q6_K. The VNNI build needs cpu_runs_vnni_tiles(), the AVX2 one
// cpu_has_avx2_fma_f16c().
const PackedTiles& packed_tiles(ElementType type, bool vnni);

}  // namespace weft::tensor
