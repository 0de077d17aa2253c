// The parts of a llama-style layer that the architectures share, for arch/<name>.cpp to
// compose: each binds its part's tensors into LayerWeights in a fixed order, so that the
// first missing tensor is the one an error names.
#pragma once

#include <cstdint>

#include "model/arch/tensor_binder.hpp"
#include "model/model_config.hpp"
#include "model/model_weights.hpp"

namespace weft::model {

// attn_norm; attn_q, attn_k, attn_v (or a fused attn_qkv, bound as row slices); attn_output;
// the attn_q/k/v biases where the file has them.
void bind_attention(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                    LayerWeights& weights);
// attn_q_norm, attn_k_norm: RMS norm weights over each head's q and k (one head wide).
void bind_head_norms(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                     LayerWeights& weights);
// ffn_norm; ffn_gate, ffn_up, ffn_down.
void bind_feed_forward(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                       LayerWeights& weights);
// ffn_norm; one ffn_up whose first n_ff rows are the gate and the next n_ff the up
// projection (bound as row slices, never copied); ffn_down.
void bind_fused_feed_forward(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                             LayerWeights& weights);

// ffn_norm; the router ffn_gate_inp; the stacked experts ffn_gate_exps, ffn_up_exps,
// ffn_down_exps (3-D, bound as one matrix each). Refuses shared experts (ffn_*_shexp), which
// the forward pass does not compute.
void bind_expert_feed_forward(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                              LayerWeights& weights);

// An encoder layer (bert, nomic-bert), whose LayerNorms come after each residual: attn_q,
// attn_k, attn_v or a fused attn_qkv, their biases where present; attn_output (+ bias);
// attn_output_norm (weight and bias, bound as post_attention_norm); ffn_up (+ bias), ffn_gate
// where present (then act(gate) · up), ffn_down (+ bias); layer_output_norm (weight and bias,
// bound as post_ffn_norm).
void bind_encoder_layer(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                        LayerWeights& weights);

}  // namespace weft::model
