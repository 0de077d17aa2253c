// The mixture-of-experts feed-forward block (qwen3moe): a router scores the experts per
// token, the most probable few run, and their outputs are summed with the router's weights.
// Only the chosen experts' matrices are read, and the rows of a batch are grouped by expert:
// one matrix product per expert over the rows that chose it, then each result is added back
// to its row. Computes what llama.cpp's MoE graph computes, in its order (see run()).
//
// When a step chooses many experts for few rows (decoding: 8 experts of one row each), the
// experts themselves are shared out between the threads, each running its experts' products
// alone: one hand-off per layer instead of one per product (a decode step of a 48-layer
// 8-expert model would otherwise make over a thousand). Which thread computes an expert does
// not change its results.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/model_config.hpp"
#include "model/model_weights.hpp"
#include "tensor/kernels.hpp"
#include "tensor/threads/thread_pool.hpp"

namespace weft::runtime {

class ExpertFeedForward {
 public:
  ExpertFeedForward(const model::ModelConfig& config, const tensor::Kernels& kernels,
                    tensor::ThreadPool& pool);

  // out (n_rows × n_embd) = Σ over each row's chosen experts e, most probable first, of
  // weight_e · down_e(act(gate_e·x) · up_e·x), x the row of `normed`. The weights are the
  // router's softmax probabilities of the chosen experts, rescaled to sum to 1 where the
  // config says so (or the softmax over the chosen logits: softmax_over_chosen_experts);
  // router and expert biases are added where bound.
  void run(const model::LayerWeights& weights, const float* normed, int64_t n_rows, float* out);

 private:
  // Fills chosen_ and chosen_weights_.
  void route(const model::LayerWeights& weights, const float* normed, int64_t n_rows);
  // One thread's buffers for the expert it runs.
  struct ExpertScratch {
    std::vector<float> gathered, gate, up, activated, out;
  };

  // Runs expert `expert` over the rows that chose it on `pool`, writing each result times
  // its weight into slot_outputs_ at (row, slot).
  void run_expert(const model::LayerWeights& weights, int64_t expert, const float* normed,
                  ExpertScratch& scratch, tensor::ThreadPool& pool);
  // Runs the active experts, each alone on one of the pool's threads.
  void run_experts_in_parallel(const model::LayerWeights& weights, const float* normed);
  // In place over n values, with GGML's exp where the kernels imitate GGML.
  void softmax(float* values, int64_t n) const;
  // Adds expert `expert`'s bias (its block of `width` in `biases`; none when empty) to each
  // of `count` rows.
  void add_expert_bias(const std::vector<float>& biases, int64_t expert, int64_t width,
                       int64_t count, float* rows) const;

  const model::ModelConfig& config_;
  const tensor::Kernels& kernels_;
  tensor::ThreadPool& pool_;

  // Scratch reused between passes.
  std::vector<float> probabilities_;          // n_rows × n_expert
  std::vector<int32_t> chosen_;               // n_rows × n_expert_used expert ids
  std::vector<float> chosen_weights_;         // n_rows × n_expert_used
  std::vector<int32_t> order_;                // expert ids, for the top-k
  std::vector<std::vector<int64_t>> routed_;  // per expert: row · n_expert_used + slot
  std::vector<int64_t> active_;               // the experts some row chose, by id
  std::vector<ExpertScratch> scratch_;        // one per thread of pool_
  // One single-thread pool per thread of pool_: an expert run on a thread runs its products
  // there, inline.
  std::vector<std::unique_ptr<tensor::ThreadPool>> inline_pools_;
  std::vector<float> slot_outputs_;  // n_rows × n_expert_used × n_embd
};

}  // namespace weft::runtime
