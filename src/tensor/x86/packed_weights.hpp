// Weights repacked for the x86 matrix products: eight rows interleaved so that one 256-bit
// vector holds four consecutive codes of each of the eight rows, one row per 32-bit lane. A
// product then computes eight outputs in the lanes of one register (no horizontal sums),
// converts the eight rows' scales at once, and reads one contiguous stream instead of eight.
// The values are the stored ones, only reordered. Rows past the matrix's end are zero blocks.
//
// Q4_0, per group of 8 rows and per block of 32 values, 144 bytes (8 × 18, as stored):
//   8 × fp16   the rows' scales d
//   4 × 32 B   chunk c: for r = 0..7, row r's qs[4c .. 4c+3]; the low nibbles are values
//              4c..4c+3 of the block, the high nibbles values 16+4c..16+4c+3
//
// Q8_0, per group of 8 rows and per block of 32 values, 272 bytes (8 × 34, as stored):
//   8 × fp16   the rows' scales d
//   8 × 32 B   chunk c: for r = 0..7, row r's qs[4c .. 4c+3] (signed codes)
//
// Q4_K, per group of 8 rows and per super-block of 256 values, 1184 bytes (8 × 144 + 32):
//   8 × fp16 d, 8 × fp16 dmin
//   64 B       the 6-bit sub-block scales unpacked, byte 8j + r: sub-block j of row r
//   64 B       the sub-block minimums, the same way
//   4 × 8 × 32 B  pair p, chunk c: for r = 0..7, row r's qs[32p + 4c .. +3]; the low nibbles
//              are values 64p + 4c.. (sub-block 2p), the high nibbles 64p + 32 + 4c..
//              (sub-block 2p + 1)
// Q6_K, per group of 8 rows and per super-block of 256 values, 1680 bytes (8 × 210, as stored):
//   8 × fp16 d
//   128 B      the 16 signed scales, byte 8g + r: scale g (values 16g..16g+15) of row r
//   32 × 32 B  ql chunk c: for r = 0..7, row r's ql[4c .. 4c+3]
//   16 × 32 B  qh chunk c: for r = 0..7, row r's qh[4c .. 4c+3]
//   (the bits keep their stored meaning: see the Q6_K product in packed_kernels.inc)
// Groups follow each other, packed_group_bytes(type, cols) apart (weight_matrix.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "tensor/mapped_memory.hpp"
#include "tensor/threads/thread_pool.hpp"
#include "tensor/weight_matrix.hpp"

namespace weft::tensor {

// Owns a packed copy (page aligned, so 64-byte aligned), in a mapping of its own that is
// given back whole when the model is unloaded (mapped_memory.hpp).
class PackedWeights {
 public:
  PackedWeights() = default;
  // In huge pages where the kernel grants them (mapped_memory.hpp): packing writes every byte
  // once, and with 4 KiB pages each first write is a page fault; on a virtual machine those
  // faults took about 70% of a Q8_0 qwen2.5-0.5b load, the packing itself under 5%
  // (docs/performance.md#cold-start).
  explicit PackedWeights(uint64_t bytes) : storage_(bytes, PageBacking::huge) {}
  std::byte* data() { return storage_.data(); }
  const std::byte* data() const { return storage_.data(); }
  uint64_t size() const { return storage_.size(); }

 private:
  MappedMemory storage_;
};

// True when this CPU has products for packed `type` weights (Q4_0, Q8_0, Q4_K, Q6_K: every
// AVX2 CPU), and then they are its fastest: model loading packs exactly these. With VNNI the
// 512-bit products over two packed groups beat the stored-layout VNNI tiles
// (fast_gemm_tiles.hpp); one thread, 32 rows of 768 × 1536: Q4_K 185 µs packed vs 559 µs, Q6_K
// 276 vs 586 µs (bench/format_kernels_bench).
bool packed_products_available(ElementType type);

// Called with the number of rows packed so far, every 1024 rows and at the end: lets the
// caller release the stored rows as they are done (a large matrix then never has both copies
// resident whole).
using PackProgress = std::function<void(int64_t rows_done)>;

// Bytes of the packed copy of `w`: whole groups of kPackedRows rows.
uint64_t packed_matrix_bytes(const WeightMatrix& w);

// The packed copy of `w` (Q4_0, Q8_0, Q4_K or Q6_K), split between `pool`'s threads where one
// is given (the same bytes either way). `progress` is called on the calling thread.
PackedWeights pack_rows(const WeightMatrix& w, const PackProgress& progress = {},
                        ThreadPool* pool = nullptr);

}  // namespace weft::tensor
