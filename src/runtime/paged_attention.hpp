// Causal attention of a batch of query rows over each row's own sequence in the paged KV
// cache. A row at position p sees slots 0..p of its sequence (fewer in a sliding-window
// layer); its result never depends on the other rows of the batch.
#pragma once

#include <cstdint>
#include <span>

#include "kv/kv_sequence.hpp"
#include "tensor/kernels.hpp"
#include "tensor/thread_pool.hpp"

namespace weft::runtime {

struct AttentionShape {
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  float scale = 1.0f;    // multiplies q·k
  float softcap = 0.0f;  // 0: none; else s = softcap·tanh(s/softcap)
  int64_t window = 0;    // 0: none; else slot j is seen from position p only when p − j < window
};

struct AttentionRow {
  const kv::KvSequence* sequence = nullptr;
  int64_t position = 0;
};

// q: rows × (n_head·head_dim); out: the same shape.
void paged_attention(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                     const AttentionShape& shape, int64_t layer, std::span<const AttentionRow> rows,
                     const float* q, float* out);

}  // namespace weft::runtime
