// The tensors of a model bound by role, with their shapes checked against the config.
// Matrices stay views into the memory-mapped file; only the small 1-D tensors (norms,
// biases) are copied out as float32.
#pragma once

#include <memory>
#include <vector>

#include "gguf/byte_storage.hpp"
#include "model/model_config.hpp"
#include "tensor/weight_matrix.hpp"
#include "tensor/x86/packed_weights.hpp"

namespace weft::model {

struct LayerWeights {
  std::vector<float> attn_norm;
  tensor::WeightMatrix wq, wk, wv;    // phi3: row slices of the fused attn_qkv
  std::vector<float> bq, bk, bv;      // qwen2; empty otherwise
  std::vector<float> q_norm, k_norm;  // qwen3: per-head RMS norm weights; empty otherwise
  tensor::WeightMatrix wo;
  std::vector<float> bo;  // attn_output.bias (gpt-oss, bert); empty otherwise
  // attn_sinks (gpt-oss): per query head, a logit in the softmax's denominator that takes
  // its share of the probability and gives no value; empty otherwise.
  std::vector<float> attention_sinks;
  std::vector<float> post_attention_norm;  // gemma2; empty otherwise
  std::vector<float> ffn_norm;
  tensor::WeightMatrix gate, up;  // phi3: row slices of the fused ffn_up
  tensor::WeightMatrix down;
  std::vector<float> post_ffn_norm;  // gemma2; empty otherwise
  // Mixture of experts (qwen3moe; empty otherwise, and then gate, up and down are): the
  // router's n_expert rows score the experts, and each expert's gate, up and down matrices
  // are one block of rows of a 3-D tensor stacking all experts (expert_matrix).
  tensor::WeightMatrix router;
  tensor::WeightMatrix expert_gate, expert_up, expert_down;
  // Biases (gpt-oss; empty otherwise): the router's per expert, and the experts' gate, up
  // and down outputs, n_expert blocks of one output row each, in the experts' order.
  std::vector<float> router_bias;
  std::vector<float> expert_gate_bias, expert_up_bias, expert_down_bias;
  // Encoders (bert, nomic-bert; empty otherwise): the biases of ffn_up and ffn_down, and of
  // the LayerNorms after the attention (attn_output_norm, whose weight is
  // post_attention_norm) and after the feed-forward block (layer_output_norm: post_ffn_norm).
  std::vector<float> up_bias, down_bias;
  std::vector<float> post_attention_norm_bias, post_ffn_norm_bias;
};

// Expert `expert`'s matrix of the `n_expert` stacked in `stacked`: a view of its block of
// rows (with its packed rows when the block starts on a packed group), never a copy.
inline tensor::WeightMatrix expert_matrix(const tensor::WeightMatrix& stacked, int64_t n_expert,
                                          int64_t expert) {
  const int64_t rows = stacked.rows / n_expert;
  return stacked.slice_rows(expert * rows, rows);
}

struct ModelWeights {
  tensor::WeightMatrix token_embedding;  // n_vocab rows of n_embd
  std::vector<LayerWeights> layers;
  std::vector<float> output_norm;
  tensor::WeightMatrix output;  // the token embedding when the model ties them
  bool tied_output = false;
  // n_rot/2 rope inverse frequencies, with rope_freqs factors and linear scaling folded in.
  std::vector<double> rope_inverse_frequencies;
  // The same for the sliding-window layers when config.sliding_rope_base is set; else empty.
  std::vector<double> sliding_rope_inverse_frequencies;
  // Encoders only (empty otherwise): the LayerNorm of the summed input embeddings
  // (token_embd_norm), the token-type embedding of type 0 added to every token, and the
  // absolute position embeddings (bert: one row per position; nomic-bert ropes instead).
  std::vector<float> embedding_norm, embedding_norm_bias;
  std::vector<float> token_type_embedding;
  tensor::WeightMatrix position_embedding;
  // Repacked copies the matrices' `packed` pointers point into (weight_packing.hpp).
  std::vector<tensor::PackedWeights> packed;
  // Or the mapped cache file they point into (packed_weight_cache.hpp); null when packed here.
  std::shared_ptr<const gguf::ByteStorage> packed_cache;

  // The rope inverse frequencies of a layer inside (`sliding`) or outside the window.
  const std::vector<double>& rope_frequencies(bool sliding) const {
    return sliding && !sliding_rope_inverse_frequencies.empty() ? sliding_rope_inverse_frequencies
                                                                : rope_inverse_frequencies;
  }
};

// The embedding, output norm and output matrix, rope factors, and each layer through its
// architecture's binder (arch/<name>.cpp). Sets config.n_vocab from the embedding. Throws
// weft::Error naming the tensor when one is missing, has the wrong shape or an element type this
// build cannot compute on.
ModelWeights bind_model_weights(const gguf::GgufFile& file, ModelConfig& config);

}  // namespace weft::model
