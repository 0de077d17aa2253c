// Q4_0 weights repacked for the x86 matrix products: eight rows interleaved so that one
// 256-bit vector holds four consecutive codes of each of the eight rows, one row per 32-bit
// lane. A product then computes eight outputs in the lanes of one register (no horizontal
// sums), converts the eight rows' scales with one instruction, and reads one contiguous stream
// instead of eight. The values are the stored ones, only reordered.
//
// Layout, per group of 8 rows (rows past the matrix's end are zero blocks) and per block b of
// 32 values, 144 bytes (8 × 18, the size the blocks had):
//   8 × fp16   the rows' scales d
//   4 × 32 B   chunk c: for r = 0..7, row r's qs[4c .. 4c+3]; the low nibbles are values
//              4c..4c+3 of the block, the high nibbles values 16+4c..16+4c+3
// Groups follow each other, `packed_group_bytes(cols)` apart (weight_matrix.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "tensor/weight_matrix.hpp"

namespace weft::tensor {

// Owns a packed copy (64-byte aligned).
class PackedWeights {
 public:
  PackedWeights() = default;
  explicit PackedWeights(uint64_t bytes);
  std::byte* data() { return storage_.get(); }
  const std::byte* data() const { return storage_.get(); }
  uint64_t size() const { return bytes_; }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  std::unique_ptr<std::byte, Free> storage_;
  uint64_t bytes_ = 0;
};

// The packed copy of a Q4_0 matrix (`w.type` must be Q4_0).
PackedWeights pack_q4_0(const WeightMatrix& w);

// True when this CPU has products for packed Q4_0 weights (the AVX2 ones).
bool packed_q4_0_available();

}  // namespace weft::tensor
