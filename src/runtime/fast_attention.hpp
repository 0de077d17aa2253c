// Attention for the `fast` kernels on AVX2 CPUs: a tiled online softmax that reads the KV
// cache where it lies. For each run of slots (a page, or a 32-slot piece of a larger one) it
// widens one kv head's stored keys and values (F16, F32 or Q8_0) into an L1-sized tile, once
// for a block of up to 64 rows of the same sequence, and folds the tile into every query
// head of the group that shares the kv head: scores, a running maximum and sum, and the
// weighted values, with no score row as long as the sequence and no float copy of it. Work
// goes to the threads in small chunks of rows of one kv head from a shared counter, so both
// cores stay busy through a causal prompt (late rows cost more than early ones).
#pragma once

#include <span>

#include "runtime/paged_attention.hpp"

namespace weft::runtime {

// Computes the attention as paged_attention() describes and returns true, or returns false
// (computing nothing) when the fast path does not apply: other kernels, no AVX2, or a head
// size that is not a multiple of 8 (of 32 for a Q8_0 cache).
bool fast_paged_attention(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                          const AttentionShape& shape, int64_t layer,
                          std::span<const AttentionRow> rows, const float* q, float* out);

}  // namespace weft::runtime
