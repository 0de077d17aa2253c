#include "tensor/packed_weights.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "tensor/cpu_features.hpp"
#include "tensor/fast_gemm_tiles.hpp"
#include "tensor/quant_blocks.hpp"
#include "weft/error.hpp"

namespace weft::tensor {
namespace {

// Row `lane` of a group, block `block`: scatters one stored Q4_0 block into the layout.
void pack_q4_0_block(const BlockQ4_0& source, int64_t lane, std::byte* packed) {
  std::memcpy(packed + 2 * lane, &source.d, 2);
  for (int chunk = 0; chunk < 4; ++chunk)
    std::memcpy(packed + 16 + 32 * chunk + 4 * lane, source.qs + 4 * chunk, 4);
}

void pack_q8_0_block(const BlockQ8_0& source, int64_t lane, std::byte* packed) {
  std::memcpy(packed + 2 * lane, &source.d, 2);
  for (int chunk = 0; chunk < 8; ++chunk)
    std::memcpy(packed + 16 + 32 * chunk + 4 * lane, source.qs + 4 * chunk, 4);
}

void pack_q4_k_block(const BlockQ4_K& source, int64_t lane, std::byte* packed) {
  std::memcpy(packed + 2 * lane, &source.d, 2);
  std::memcpy(packed + 16 + 2 * lane, &source.dmin, 2);
  for (int j = 0; j < 8; ++j) {
    const ScaleMin sm = k4_scale_min(source.scales, j);
    packed[32 + 8 * j + lane] = static_cast<std::byte>(sm.scale);
    packed[96 + 8 * j + lane] = static_cast<std::byte>(sm.min);
  }
  for (int pair = 0; pair < 4; ++pair)
    for (int chunk = 0; chunk < 8; ++chunk)
      std::memcpy(packed + 160 + 256 * pair + 32 * chunk + 4 * lane,
                  source.qs + 32 * pair + 4 * chunk, 4);
}

void pack_q6_k_block(const BlockQ6_K& source, int64_t lane, std::byte* packed) {
  std::memcpy(packed + 2 * lane, &source.d, 2);
  for (int g = 0; g < 16; ++g) packed[16 + 8 * g + lane] = static_cast<std::byte>(source.scales[g]);
  for (int chunk = 0; chunk < 32; ++chunk)
    std::memcpy(packed + 144 + 32 * chunk + 4 * lane, source.ql + 4 * chunk, 4);
  for (int chunk = 0; chunk < 16; ++chunk)
    std::memcpy(packed + 1168 + 32 * chunk + 4 * lane, source.qh + 4 * chunk, 4);
}

constexpr int64_t kRowsPerProgress = 1024;

template <typename Block>
void pack_all(const WeightMatrix& w, uint64_t block_bytes,
              void (*pack_block)(const Block&, int64_t, std::byte*), PackedWeights& packed,
              const PackProgress& progress) {
  const int64_t blocks = static_cast<int64_t>(w.row_bytes / sizeof(Block));
  const uint64_t group_bytes = packed_group_bytes(w.type, w.cols);
  for (int64_t row = 0; row < w.rows; ++row) {
    const auto* source = reinterpret_cast<const Block*>(w.row(row));
    std::byte* group = packed.data() + static_cast<uint64_t>(row / kPackedRows) * group_bytes;
    for (int64_t b = 0; b < blocks; ++b)
      pack_block(source[b], row % kPackedRows, group + static_cast<uint64_t>(b) * block_bytes);
    if (progress && ((row + 1) % kRowsPerProgress == 0 || row + 1 == w.rows)) progress(row + 1);
  }
}

}  // namespace

bool packed_products_available(ElementType type) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  const bool has_layout = type == ElementType::Q4_0 || type == ElementType::Q8_0 ||
                          type == ElementType::Q4_K || type == ElementType::Q6_K;
  return has_layout && cpu_has_avx2_fma_f16c();
#else
  (void)type;
  return false;
#endif
}

bool packing_pays_off(ElementType type) {
  if (!packed_products_available(type)) return false;
  return type == ElementType::Q4_0 || type == ElementType::Q8_0 || !cpu_runs_vnni_tiles();
}

PackedWeights pack_rows(const WeightMatrix& w, const PackProgress& progress) {
  const int64_t groups = (w.rows + kPackedRows - 1) / kPackedRows;
  PackedWeights packed(static_cast<uint64_t>(groups) * packed_group_bytes(w.type, w.cols));
  std::memset(packed.data(), 0, packed.size());  // rows past the end: zero scales and codes
  if (w.type == ElementType::Q4_0 && w.cols % kBlock32 == 0) {
    pack_all<BlockQ4_0>(w, kPackedQ4_0BlockBytes, pack_q4_0_block, packed, progress);
  } else if (w.type == ElementType::Q8_0 && w.cols % kBlock32 == 0) {
    pack_all<BlockQ8_0>(w, kPackedQ8_0BlockBytes, pack_q8_0_block, packed, progress);
  } else if (w.type == ElementType::Q4_K && w.cols % kSuperBlock == 0) {
    pack_all<BlockQ4_K>(w, kPackedQ4_KBlockBytes, pack_q4_k_block, packed, progress);
  } else if (w.type == ElementType::Q6_K && w.cols % kSuperBlock == 0) {
    pack_all<BlockQ6_K>(w, kPackedQ6_KBlockBytes, pack_q6_k_block, packed, progress);
  } else {
    throw Error(ErrorCode::internal, std::string("pack_rows: no packed layout for ") +
                                         std::string(traits_of(w.type).name) + " rows of " +
                                         std::to_string(w.cols) + " values");
  }
  return packed;
}

}  // namespace weft::tensor
