#include "tensor/packed_q4_0.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "tensor/cpu_features.hpp"
#include "tensor/quant_blocks.hpp"
#include "weft/error.hpp"

namespace weft::tensor {

PackedWeights::PackedWeights(uint64_t bytes) : bytes_(bytes) {
  const uint64_t rounded = (bytes + 63) / 64 * 64;
  void* memory = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (memory == nullptr) throw std::bad_alloc();
  storage_.reset(static_cast<std::byte*>(memory));
}

void PackedWeights::Free::operator()(std::byte* p) const {
  std::free(p);
}

PackedWeights pack_q4_0(const WeightMatrix& w) {
  if (w.type != ElementType::Q4_0 || w.cols % kBlock32 != 0) {
    throw Error(ErrorCode::internal, "pack_q4_0: not a Q4_0 matrix of whole blocks");
  }
  const int64_t groups = (w.rows + kPackedRows - 1) / kPackedRows;
  const int64_t blocks = w.cols / kBlock32;
  const uint64_t group_bytes = packed_group_bytes(w.cols);
  PackedWeights packed(static_cast<uint64_t>(groups) * group_bytes);
  std::memset(packed.data(), 0, packed.size());  // rows past the end: zero scales and codes
  for (int64_t row = 0; row < w.rows; ++row) {
    const auto* source = reinterpret_cast<const BlockQ4_0*>(w.row(row));
    const int64_t lane = row % kPackedRows;
    std::byte* group = packed.data() + static_cast<uint64_t>(row / kPackedRows) * group_bytes;
    for (int64_t b = 0; b < blocks; ++b) {
      std::byte* block = group + static_cast<uint64_t>(b) * kPackedBlockBytes;
      std::memcpy(block + 2 * lane, &source[b].d, 2);
      for (int chunk = 0; chunk < 4; ++chunk) {
        std::memcpy(block + 16 + 32 * chunk + 4 * lane, source[b].qs + 4 * chunk, 4);
      }
    }
  }
  return packed;
}

bool packed_q4_0_available() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return cpu_has_avx2_fma_f16c();
#else
  return false;
#endif
}

}  // namespace weft::tensor
