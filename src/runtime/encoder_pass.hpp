// The forward computation of an encoder (bert, nomic-bert: ForwardHooks::encoder) over one
// input, for embeddings. It sits beside the decoder pass (forward_pass.hpp) rather than in it:
// every step differs — the inputs add token-type and position embeddings and are LayerNorm-ed,
// each block LayerNorms after its residual instead of RMS-norming before it, every token
// attends to every token of the input (later ones too), and there is no output head — while
// the paged KV cache, the prefix cache, chunked prefill and the logits that the decoder pass
// is built around have no use here: one input runs whole in one call, its keys and values
// live only during the call, so nothing can be published to the prefix cache as causal state.
// Several inputs may share a call: their rows go through every product together (each weight
// read once for all of them), and each row attends to the rows of its own input only.
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

  // The last layer's states of every token of every input, one input after another:
  // (total tokens) × n_embd. Each input's tokens are valid ids, at most the trained context
  // many (Engine::encode checks).
  std::vector<float> run(std::span<const std::span<const int32_t>> inputs);

 private:
  // The rows of one input: [begin, begin + length).
  struct Segment {
    int64_t begin = 0;
    int64_t length = 0;
  };

  void embed(std::span<const std::span<const int32_t>> inputs);
  void attention_block(int64_t n_rows, int64_t layer);
  // q·k over every pair of rows of one input, softmax, weighted values, into attention_.
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

  std::vector<Segment> segments_;
  std::vector<size_t> row_segments_;  // each row's input: an index into segments_
  // Scratch reused between calls.
  std::vector<float> hidden_, q_, k_, v_, attention_, projected_, up_, gate_, activated_, ones_;
};

}  // namespace weft::runtime
