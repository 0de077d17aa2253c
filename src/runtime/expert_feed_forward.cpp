#include "runtime/expert_feed_forward.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "runtime/gated_activation.hpp"
#include "tensor/reference/ggml_cpu_numerics.hpp"

namespace weft::runtime {
namespace {

// llama.cpp clamps the sum of the chosen weights to the smallest normal F16 before dividing.
constexpr float kMinimumWeightSum = 6.103515625e-5f;

}  // namespace

ExpertFeedForward::ExpertFeedForward(const model::ModelConfig& config,
                                     const tensor::Kernels& kernels, tensor::ThreadPool& pool)
    : config_(config), kernels_(kernels), pool_(pool), scratch_(pool.size()) {
  for (unsigned i = 0; i < pool.size(); ++i)
    inline_pools_.push_back(std::make_unique<tensor::ThreadPool>(1));
}

void ExpertFeedForward::add_expert_bias(const std::vector<float>& biases, int64_t expert,
                                        int64_t width, int64_t count, float* rows) const {
  if (biases.empty()) return;
  const float* bias = biases.data() + expert * width;
  for (int64_t i = 0; i < count; ++i) kernels_.add(rows + i * width, bias, width);
}

void ExpertFeedForward::run(const model::LayerWeights& weights, const float* normed, int64_t n_rows,
                            float* out) {
  const int64_t d = config_.n_embd;
  const int64_t used = config_.n_expert_used;
  route(weights, normed, n_rows);
  routed_.resize(static_cast<size_t>(config_.n_expert));
  for (auto& rows : routed_) rows.clear();
  for (int64_t entry = 0; entry < n_rows * used; ++entry)
    routed_[static_cast<size_t>(chosen_[static_cast<size_t>(entry)])].push_back(entry);
  slot_outputs_.resize(static_cast<size_t>(n_rows * used * d));
  active_.clear();
  for (int64_t expert = 0; expert < config_.n_expert; ++expert) {
    if (!routed_[static_cast<size_t>(expert)].empty()) active_.push_back(expert);
  }
  // Enough experts to keep every thread busy with whole ones (two each, so that one slow
  // thread is made up for by the others); otherwise each product is split between threads.
  if (pool_.size() > 1 && active_.size() >= 2 * static_cast<size_t>(pool_.size())) {
    run_experts_in_parallel(weights, normed);
  } else {
    for (const int64_t expert : active_) run_expert(weights, expert, normed, scratch_[0], pool_);
  }
  // As llama.cpp sums: the most probable expert's output, then each next one added to it.
  for (int64_t row = 0; row < n_rows; ++row) {
    float* sum = out + row * d;
    const float* slots = slot_outputs_.data() + row * used * d;
    std::copy_n(slots, d, sum);
    for (int64_t slot = 1; slot < used; ++slot) kernels_.add(sum, slots + slot * d, d);
  }
}

void ExpertFeedForward::route(const model::LayerWeights& weights, const float* normed,
                              int64_t n_rows) {
  const int64_t n_expert = config_.n_expert;
  const int64_t used = config_.n_expert_used;
  probabilities_.resize(static_cast<size_t>(n_rows * n_expert));
  kernels_.matmul(weights.router, normed, n_rows, probabilities_.data(), pool_);
  chosen_.resize(static_cast<size_t>(n_rows * used));
  chosen_weights_.resize(static_cast<size_t>(n_rows * used));
  order_.resize(static_cast<size_t>(n_expert));
  for (int64_t row = 0; row < n_rows; ++row) {
    float* probability = probabilities_.data() + row * n_expert;
    if (!weights.router_bias.empty())
      kernels_.add(probability, weights.router_bias.data(), n_expert);
    // Softmax over all experts first, then the top k of the probabilities (llama.cpp's
    // order); or (softmax_over_chosen_experts) the top k of the logits, softmax after.
    if (!config_.softmax_over_chosen_experts) softmax(probability, n_expert);
    for (int32_t e = 0; e < static_cast<int32_t>(n_expert); ++e) order_[static_cast<size_t>(e)] = e;
    // Most probable first; llama.cpp's argsort (std::sort) leaves the order of equal
    // probabilities unspecified, here the lower expert id comes first. A NaN (from NaN
    // weights) ranks last, so that the order stays a strict weak one.
    const auto rank = [probability](int32_t e) {
      return std::isnan(probability[e]) ? -std::numeric_limits<float>::infinity() : probability[e];
    };
    std::partial_sort(order_.begin(), order_.begin() + used, order_.end(),
                      [&rank](int32_t a, int32_t b) {
                        const float rank_a = rank(a);
                        const float rank_b = rank(b);
                        return rank_a > rank_b || (rank_a == rank_b && a < b);
                      });
    int32_t* chosen = chosen_.data() + row * used;
    float* weight = chosen_weights_.data() + row * used;
    double sum = 0;
    for (int64_t slot = 0; slot < used; ++slot) {
      chosen[slot] = order_[static_cast<size_t>(slot)];
      weight[slot] = probability[chosen[slot]];
      sum += weight[slot];
    }
    if (config_.softmax_over_chosen_experts) softmax(weight, used);
    if (config_.normalize_expert_weights) {
      const float divisor = std::max(static_cast<float>(sum), kMinimumWeightSum);
      for (int64_t slot = 0; slot < used; ++slot) weight[slot] /= divisor;
    }
  }
}

void ExpertFeedForward::softmax(float* values, int64_t n) const {
  if (kernels_.ggml_lanes() > 0) {
    // Kernels imitating GGML take its vectorised exp too: a probability one ulp off can
    // change a weight, and llama.cpp's rounding of the next activations with it.
    tensor::ggml_cpu::softmax(values, n, kernels_.ggml_lanes());
  } else {
    kernels_.softmax(values, n);
  }
}

void ExpertFeedForward::run_experts_in_parallel(const model::LayerWeights& weights,
                                                const float* normed) {
  // Threads take the next expert from a shared counter: one descheduled for a while on a
  // busy machine leaves its experts to the others.
  std::atomic<size_t> next{0};
  pool_.parallel_for(pool_.size(), [&](int64_t, int64_t, unsigned worker) {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < active_.size();
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      run_expert(weights, active_[i], normed, scratch_[worker], *inline_pools_[worker]);
    }
  });
}

void ExpertFeedForward::run_expert(const model::LayerWeights& weights, int64_t expert,
                                   const float* normed, ExpertScratch& scratch,
                                   tensor::ThreadPool& pool) {
  const int64_t d = config_.n_embd;
  const int64_t n_expert = config_.n_expert;
  const int64_t used = config_.n_expert_used;
  const auto& entries = routed_[static_cast<size_t>(expert)];
  const auto count = static_cast<int64_t>(entries.size());
  // Gather the rows that chose this expert into one matrix.
  scratch.gathered.resize(static_cast<size_t>(count * d));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t row = entries[static_cast<size_t>(i)] / used;
    std::copy_n(normed + row * d, d, scratch.gathered.data() + i * d);
  }
  const auto gate = model::expert_matrix(weights.expert_gate, n_expert, expert);
  const auto up = model::expert_matrix(weights.expert_up, n_expert, expert);
  const auto down = model::expert_matrix(weights.expert_down, n_expert, expert);
  scratch.gate.resize(static_cast<size_t>(count * gate.rows));
  scratch.up.resize(static_cast<size_t>(count * up.rows));
  kernels_.matmul(gate, scratch.gathered.data(), count, scratch.gate.data(), pool);
  kernels_.matmul(up, scratch.gathered.data(), count, scratch.up.data(), pool);
  add_expert_bias(weights.expert_gate_bias, expert, gate.rows, count, scratch.gate.data());
  add_expert_bias(weights.expert_up_bias, expert, up.rows, count, scratch.up.data());
  scratch.activated.resize(static_cast<size_t>(count * gate.rows));
  activate_gated_rows(kernels_, pool, config_.activation, scratch.gate.data(), scratch.up.data(),
                      count, gate.rows, scratch.activated.data());
  scratch.out.resize(static_cast<size_t>(count * d));
  kernels_.matmul(down, scratch.activated.data(), count, scratch.out.data(), pool);
  add_expert_bias(weights.expert_down_bias, expert, d, count, scratch.out.data());
  // Scatter: each result times its row's weight for this expert, into its (row, slot).
  for (int64_t i = 0; i < count; ++i) {
    const int64_t entry = entries[static_cast<size_t>(i)];
    const float weight = chosen_weights_[static_cast<size_t>(entry)];
    const float* result = scratch.out.data() + i * d;
    float* slot = slot_outputs_.data() + entry * d;
    for (int64_t c = 0; c < d; ++c) slot[c] = result[c] * weight;
  }
}

}  // namespace weft::runtime
