// A 2-D weight as stored in the model file: `rows` rows of `cols` values in any element
// type, each row a whole number of blocks, `row_bytes` apart. Kernels compute on it directly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/formats/element_type.hpp"

namespace weft::tensor {

// Q4_0, Q8_0, Q4_K and Q6_K rows may also come repacked eight at a time
// (tensor/x86/packed_weights.hpp): groups of kPackedRows rows, packed_group_bytes(type, cols) each.
inline constexpr int64_t kPackedRows = 8;
inline constexpr uint64_t kPackedQ4_0BlockBytes = 144;   // 32 values of eight rows
inline constexpr uint64_t kPackedQ8_0BlockBytes = 272;   // 32 values of eight rows
inline constexpr uint64_t kPackedQ4_KBlockBytes = 1184;  // 256 values of eight rows
inline constexpr uint64_t kPackedQ6_KBlockBytes = 1680;  // 256 values of eight rows

inline uint64_t packed_group_bytes(ElementType type, int64_t cols) {
  switch (type) {
    case ElementType::Q4_K:
      return static_cast<uint64_t>(cols / 256) * kPackedQ4_KBlockBytes;
    case ElementType::Q6_K:
      return static_cast<uint64_t>(cols / 256) * kPackedQ6_KBlockBytes;
    case ElementType::Q8_0:
      return static_cast<uint64_t>(cols / 32) * kPackedQ8_0BlockBytes;
    default:
      return static_cast<uint64_t>(cols / 32) * kPackedQ4_0BlockBytes;
  }
}

struct WeightMatrix {
  ElementType type = ElementType::F32;
  int64_t rows = 0;  // output features
  int64_t cols = 0;  // input features: the contiguous dimension
  uint64_t row_bytes = 0;
  const std::byte* data = nullptr;
  // The same rows repacked (Q4_0, Q8_0, Q4_K, Q6_K), or null. Kernels that do not know the layout
  // use `data`; the model owns both.
  const std::byte* packed = nullptr;

  const std::byte* row(int64_t index) const {
    return data + static_cast<uint64_t>(index) * row_bytes;
  }
  // Rows [first, first + count) as a matrix of their own (e.g. q, k, v of a fused qkv).
  // The packed rows come along when the slice starts on a group.
  WeightMatrix slice_rows(int64_t first, int64_t count) const {
    const std::byte* packed_slice =
        packed != nullptr && first % kPackedRows == 0
            ? packed + static_cast<uint64_t>(first / kPackedRows) * packed_group_bytes(type, cols)
            : nullptr;
    return {type, count, cols, row_bytes, row(first), packed_slice};
  }
  bool empty() const { return data == nullptr; }
};

}  // namespace weft::tensor
