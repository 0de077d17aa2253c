// A 2-D weight as stored in the model file: `rows` rows of `cols` values in any element
// type, each row a whole number of blocks, `row_bytes` apart. Kernels compute on it directly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/element_type.hpp"

namespace weft::tensor {

// Q4_0 rows may also come repacked eight at a time (tensor/packed_q4_0.hpp): groups of
// kPackedRows rows, packed_group_bytes(cols) each.
inline constexpr int64_t kPackedRows = 8;
inline constexpr uint64_t kPackedBlockBytes = 144;  // one 32-value block of eight rows

inline uint64_t packed_group_bytes(int64_t cols) {
  return static_cast<uint64_t>(cols / 32) * kPackedBlockBytes;
}

struct WeightMatrix {
  ElementType type = ElementType::F32;
  int64_t rows = 0;  // output features
  int64_t cols = 0;  // input features: the contiguous dimension
  uint64_t row_bytes = 0;
  const std::byte* data = nullptr;
  // The same rows repacked (Q4_0 only), or null. Kernels that do not know the layout use
  // `data`; the model owns both.
  const std::byte* packed = nullptr;

  const std::byte* row(int64_t index) const {
    return data + static_cast<uint64_t>(index) * row_bytes;
  }
  // Rows [first, first + count) as a matrix of their own (e.g. q, k, v of a fused qkv).
  // The packed rows come along when the slice starts on a group.
  WeightMatrix slice_rows(int64_t first, int64_t count) const {
    const std::byte* packed_slice =
        packed != nullptr && first % kPackedRows == 0
            ? packed + static_cast<uint64_t>(first / kPackedRows) * packed_group_bytes(cols)
            : nullptr;
    return {type, count, cols, row_bytes, row(first), packed_slice};
  }
  bool empty() const { return data == nullptr; }
};

}  // namespace weft::tensor
