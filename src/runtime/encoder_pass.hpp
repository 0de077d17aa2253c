// The forward computation of an encoder (bert, nomic-bert: ForwardHooks::encoder) over one
// input, for embeddings. It sits beside the decoder pass (forward_pass.hpp) rather than in it:
// every step differs — the inputs add token-type and position embeddings and are LayerNorm-ed,
// each block LayerNorms after its residual instead of RMS-norming before it, every token
// attends to every token of the input (later ones too), and there is no output head — while
// the paged KV cache, the prefix cache, chunked prefill and the logits that the decoder pass
// is built around have no use here: one input is one batch, its keys and values live only
// during the call, so nothing can be published to the prefix cache as causal state.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/model.hpp"
#include "tensor/kernels.hpp"
#include "tensor/threads/thread_pool.hpp"

namespace weft::runtime {

class EncoderPass {
 public:
  EncoderPass(const model::Model& model, const tensor::Kernels& kernels, tensor::ThreadPool& pool)
      : model_(model), config_(model.config()), kernels_(kernels), pool_(pool) {}

  // The last layer's states of every token of one input, tokens.size() × n_embd. The tokens
  // are valid ids, at most the trained context many (Engine::encode checks).
  std::vector<float> run(std::span<const int32_t> tokens);

 private:
  void embed(std::span<const int32_t> tokens);
  void attention_block(int64_t n_rows, int64_t layer);
  // q·k over every pair of rows, softmax, weighted values: q_ is replaced by the result.
  void attend(int64_t n_rows);
  void feed_forward_block(int64_t n_rows, int64_t layer);
  // rows = LayerNorm(rows) · weight + bias, in place.
  void layer_norm_rows(float* rows, const std::vector<float>& weight,
                       const std::vector<float>& bias, int64_t n_rows) const;
  void matmul(const tensor::WeightMatrix& w, const float* x, int64_t n_rows,
              std::vector<float>& out);

  const model::Model& model_;
  const model::ModelConfig& config_;
  const tensor::Kernels& kernels_;
  tensor::ThreadPool& pool_;

  // Scratch reused between inputs.
  std::vector<float> hidden_, q_, k_, v_, attention_, projected_, up_, gate_, activated_, ones_;
};

}  // namespace weft::runtime
