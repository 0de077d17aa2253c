#include "tensor/x86/packed_weights.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "tensor/cpu_features.hpp"
#include "tensor/formats/quant_blocks.hpp"
#include "tensor/x86/fast_gemm_tiles.hpp"
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

// Packs groups [first_group, end_group): each group's eight rows one after another, as the
// layout interleaves them (rows past the matrix's end are left as they are: zero).
template <typename Block, void (*PackBlock)(const Block&, int64_t, std::byte*)>
void pack_groups(const WeightMatrix& w, uint64_t block_bytes, int64_t first_group,
                 int64_t end_group, PackedWeights& packed) {
  const int64_t blocks = static_cast<int64_t>(w.row_bytes / sizeof(Block));
  const uint64_t group_bytes = packed_group_bytes(w.type, w.cols);
  for (int64_t g = first_group; g < end_group; ++g) {
    std::byte* group = packed.data() + static_cast<uint64_t>(g) * group_bytes;
    const int64_t first_row = g * kPackedRows;
    const int64_t lanes = std::min<int64_t>(kPackedRows, w.rows - first_row);
    for (int64_t lane = 0; lane < lanes; ++lane) {
      const auto* source = reinterpret_cast<const Block*>(w.row(first_row + lane));
      for (int64_t b = 0; b < blocks; ++b)
        PackBlock(source[b], lane, group + static_cast<uint64_t>(b) * block_bytes);
    }
  }
}

// Packs kRowsPerProgress rows at a time, split between the pool's threads (groups are
// disjoint, so the result is the same for any split), and reports each chunk when it is done.
template <typename Block, void (*PackBlock)(const Block&, int64_t, std::byte*)>
void pack_all(const WeightMatrix& w, uint64_t block_bytes, PackedWeights& packed,
              const PackProgress& progress, ThreadPool* pool) {
  constexpr int64_t kGroupsPerProgress = kRowsPerProgress / kPackedRows;
  const int64_t groups = (w.rows + kPackedRows - 1) / kPackedRows;
  for (int64_t first = 0; first < groups; first += kGroupsPerProgress) {
    const int64_t end = std::min(groups, first + kGroupsPerProgress);
    if (pool != nullptr && pool->size() > 1) {
      pool->parallel_for(end - first, [&](int64_t begin, int64_t stop, unsigned) {
        pack_groups<Block, PackBlock>(w, block_bytes, first + begin, first + stop, packed);
      });
    } else {
      pack_groups<Block, PackBlock>(w, block_bytes, first, end, packed);
    }
    if (progress) progress(std::min(w.rows, end * kPackedRows));
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

uint64_t packed_matrix_bytes(const WeightMatrix& w) {
  const int64_t groups = (w.rows + kPackedRows - 1) / kPackedRows;
  return static_cast<uint64_t>(groups) * packed_group_bytes(w.type, w.cols);
}

PackedWeights pack_rows(const WeightMatrix& w, const PackProgress& progress, ThreadPool* pool) {
  PackedWeights packed(packed_matrix_bytes(w));
  // Rows past the end stay zero scales and codes: a fresh anonymous mapping reads as zeros, so
  // no memset (which would write, and fault in, every page a second time).
  if (w.type == ElementType::Q4_0 && w.cols % kBlock32 == 0) {
    pack_all<BlockQ4_0, pack_q4_0_block>(w, kPackedQ4_0BlockBytes, packed, progress, pool);
  } else if (w.type == ElementType::Q8_0 && w.cols % kBlock32 == 0) {
    pack_all<BlockQ8_0, pack_q8_0_block>(w, kPackedQ8_0BlockBytes, packed, progress, pool);
  } else if (w.type == ElementType::Q4_K && w.cols % kSuperBlock == 0) {
    pack_all<BlockQ4_K, pack_q4_k_block>(w, kPackedQ4_KBlockBytes, packed, progress, pool);
  } else if (w.type == ElementType::Q6_K && w.cols % kSuperBlock == 0) {
    pack_all<BlockQ6_K, pack_q6_k_block>(w, kPackedQ6_KBlockBytes, packed, progress, pool);
  } else {
    throw Error(ErrorCode::internal, std::string("pack_rows: no packed layout for ") +
                                         std::string(traits_of(w.type).name) + " rows of " +
                                         std::to_string(w.cols) + " values");
  }
  return packed;
}

}  // namespace weft::tensor
