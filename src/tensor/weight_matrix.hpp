// A 2-D weight as stored in the model file: `rows` rows of `cols` values in any element
// type, each row a whole number of blocks, `row_bytes` apart. Kernels compute on it directly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/element_type.hpp"

namespace weft::tensor {

struct WeightMatrix {
  ElementType type = ElementType::F32;
  int64_t rows = 0;  // output features
  int64_t cols = 0;  // input features: the contiguous dimension
  uint64_t row_bytes = 0;
  const std::byte* data = nullptr;

  const std::byte* row(int64_t index) const {
    return data + static_cast<uint64_t>(index) * row_bytes;
  }
  // Rows [first, first + count) as a matrix of their own (e.g. q, k, v of a fused qkv).
  WeightMatrix slice_rows(int64_t first, int64_t count) const {
    return {type, count, cols, row_bytes, row(first)};
  }
  bool empty() const { return data == nullptr; }
};

}  // namespace weft::tensor
