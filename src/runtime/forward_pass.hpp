// The transformer computation of one batch: embeddings, the layers, the output head. One
// generic graph for every architecture: what differs is asked of the model's config (the
// architecture's ForwardHooks and hyperparameters, model/arch/) and of which optional weights
// its binder bound (biases, q/k norms, post-norms). Engine validates the batch and reserves
// KV pages first.
#pragma once

#include <span>
#include <vector>

#include "model/model.hpp"
#include "runtime/expert_feed_forward.hpp"
#include "runtime/forward_batch.hpp"
#include "runtime/paged_attention.hpp"
#include "tensor/kernels.hpp"
#include "tensor/threads/thread_pool.hpp"

namespace weft::runtime {

class ForwardPass {
 public:
  ForwardPass(const model::Model& model, const tensor::Kernels& kernels, tensor::ThreadPool& pool)
      : model_(model),
        config_(model.config()),
        kernels_(kernels),
        pool_(pool),
        experts_(config_, kernels_, pool_) {}

  // Rows are valid and their sequences have pages reserved for every row's slot.
  void run(std::span<const ForwardRow> rows, ForwardOutputs& outputs);

 private:
  void embed(std::span<const ForwardRow> rows);
  void attention_block(std::span<const ForwardRow> rows, int64_t layer);
  void feed_forward_block(int64_t n_rows, int64_t layer);
  // The dense gated block: projected_ = down(act(gate·normed_) · up·normed_).
  void gated_feed_forward(const model::LayerWeights& w, int64_t n_rows);
  // `selected`: the rows wanting logits or the hidden state, whose residuals the last layer
  // has compacted to the front of residual_.
  void output_head(std::span<const ForwardRow> rows, std::span<const int64_t> selected,
                   ForwardOutputs& outputs);
  void norm_rows(const float* in, const std::vector<float>& weight, int64_t n_rows, int64_t width,
                 float* out) const;
  void matmul(const tensor::WeightMatrix& w, const float* x, int64_t n_rows,
              std::vector<float>& out);
  // residual_ += rows, the first n_rows rows.
  void add_to_residual(const std::vector<float>& rows, int64_t n_rows);

  // Below this many rows, row-wise work (norms, rotations, cache stores, residual sums) stays
  // on the calling thread: waking the workers would cost more.
  static constexpr int64_t kMinRowsToSplit = 8;

  const model::Model& model_;
  const model::ModelConfig& config_;
  const tensor::Kernels& kernels_;
  tensor::ThreadPool& pool_;
  // The layers whose binder bound a router (mixture of experts) go through it instead.
  ExpertFeedForward experts_;

  // Scratch reused between passes, sized to the largest batch seen.
  std::vector<float> residual_, normed_, q_, k_, v_, attention_, projected_, gate_, up_, activated_;
  std::vector<AttentionRow> attention_rows_;
};

}  // namespace weft::runtime
