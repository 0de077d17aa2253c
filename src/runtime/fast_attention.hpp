// Attention for the `fast` kernels on AVX2 CPUs. The generic path widens every cached key
// and value once per query row, i.e. O(rows²) conversions in a prompt, and computes one
// 64-value dot product per (head, slot) through a virtual call. This path widens each
// (kv head, slot) once per thread and call, keeps the keys transposed so eight slots' scores
// are eight FMA lanes, and hands work to the threads in small chunks from a shared counter,
// so both cores stay busy through a causal prompt (late rows cost more than early ones).
#pragma once

#include <span>

#include "runtime/paged_attention.hpp"

namespace weft::runtime {

// Computes the attention as paged_attention() describes and returns true, or returns false
// (computing nothing) when the fast path does not apply: other kernels, no AVX2, or a head
// size that is not a multiple of 8.
bool fast_paged_attention(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                          const AttentionShape& shape, int64_t layer,
                          std::span<const AttentionRow> rows, const float* q, float* out);

}  // namespace weft::runtime
