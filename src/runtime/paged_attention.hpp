// Causal attention of a batch of query rows over each row's own sequence in the paged KV
// cache. A row at position p sees slots 0..p of its sequence (fewer in a sliding-window
// layer); its result never depends on the other rows of the batch. A row with an attention mask
// sees only the slots its mask allows among those: the others weigh exactly zero, so a mask that
// allows every slot gives the causal result bit for bit, on every path.
#pragma once

#include <cstdint>
#include <span>

#include "kv/kv_sequence.hpp"
#include "tensor/kernels.hpp"
#include "tensor/threads/thread_pool.hpp"

namespace weft::runtime {

struct AttentionShape {
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  float scale = 1.0f;    // multiplies q·k
  float softcap = 0.0f;  // 0: none; else s = softcap·tanh(s/softcap)
  int64_t window = 0;    // 0: none; else slot j is seen from position p only when p − j < window
  // n_head logits (gpt-oss's attn_sinks), each in its head's softmax denominator beside the
  // scores, giving no value; nullptr: none.
  const float* sinks = nullptr;
};

struct AttentionRow {
  const kv::KvSequence* sequence = nullptr;
  int64_t position = 0;
  // Empty: causal. Else position + 1 flags, nonzero where the row attends (ForwardRow).
  std::span<const uint8_t> visible = {};
};

// Sets to −∞ the scores of the slots [first, first + count) that the row's mask hides; call
// after any soft cap, so that they weigh exactly zero after the softmax. Returns false when
// the mask hides all of them (a sliding window can leave a row nothing it may see): the
// caller then gives the row's heads zero output instead of a softmax over nothing.
bool hide_masked_slots(const AttentionRow& row, int64_t first, int64_t count, float* scores);

// Softmax over n scores with a sink: exp(s − m) / (Σ exp(s − m) + exp(sink − m)), m the
// maximum of the scores and the sink (masked scores are −∞ and weigh 0).
void softmax_with_sink(float* scores, int64_t n, float sink);

// q: rows × (n_head·head_dim); out: the same shape.
void paged_attention(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                     const AttentionShape& shape, int64_t layer, std::span<const AttentionRow> rows,
                     const float* q, float* out);

}  // namespace weft::runtime
