// Register-blocked matrix-product tiles for CPUs with AVX-512 VNNI (and VL/BW, used on
// 256-bit vectors): each tile multiplies up to kTileMaxM weight rows with up to kTileMaxN
// activation rows in one pass over the columns, so every unpacked weight block is reused
// for all the tile's activation rows and every activation block for all its weight rows.
// The int8 dot products use vpdpbusd/vpdpwssd (no int16 saturation, one instruction where
// AVX2 needs two or three).
//
// Each output is computed by the same instruction sequence whatever the tile shape, so a
// result never depends on which other rows share its tile (the batch around it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/formats/element_type.hpp"

namespace weft::tensor {

inline constexpr int kTileMaxM = 4;  // weight rows per tile
inline constexpr int kTileMaxN = 8;  // activation rows per tile

// out[j·out_stride + i] = weight row i · activation row j, for i < m, j < n (m, n fixed
// per function). Weight rows are `weight_stride` bytes apart, rounded activation rows
// `act_stride` bytes apart (ActivationQ8 blocks or BlockQ8_K super-blocks).
using TileDot = void (*)(const std::byte* weights, uint64_t weight_stride, const std::byte* acts,
                         uint64_t act_stride, int64_t cols, float* out, int64_t out_stride);

struct TileKernels {
  int m = 0;  // full tile shape; smaller tiles[m'-1][n'-1] cover the edges
  int n = 0;
  // The activation rows carry, after their Q8_K blocks, q8k_scaled_sums() of them (8 floats
  // per super-block): Q4_K folds its sub-block minimums in with one float FMA per tile row.
  bool needs_scaled_sums = false;
  TileDot tiles[kTileMaxM][kTileMaxN] = {};
};

// True when this CPU runs the tiles (AVX-512 F/VL/BW/VNNI, plus AVX2/FMA/F16C).
bool cpu_runs_vnni_tiles();
// The tiles for `type` (its cpu_format_traits row: Q8_0, Q4_0, Q4_K, Q6_K), or nullptr for
// types without tiles.
const TileKernels* vnni_tiles_for(ElementType type);

// Each format's tiles, registered in tensor/cpu_format_traits.cpp (x86-64 only).
extern const TileKernels kVnniTilesQ8_0;
extern const TileKernels kVnniTilesQ4_0;
extern const TileKernels kVnniTilesQ4_K;
extern const TileKernels kVnniTilesQ6_K;

}  // namespace weft::tensor
