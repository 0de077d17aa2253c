#include "model/arch/layer_binding.hpp"

#include "gguf/gguf_file.hpp"
#include "weft/error.hpp"

namespace weft::model {

namespace {

// attn_q, attn_k, attn_v (or a fused attn_qkv, bound as row slices), their biases where the
// file has them, and attn_output.
void bind_projections(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                      LayerWeights& weights) {
  const int64_t d = config.n_embd;
  if (const auto* fused = binder.find(layer_tensor(layer, "attn_qkv"))) {
    const auto qkv = binder.to_matrix(*fused, d, config.q_dim() + 2 * config.kv_dim());
    weights.wq = qkv.slice_rows(0, config.q_dim());
    weights.wk = qkv.slice_rows(config.q_dim(), config.kv_dim());
    weights.wv = qkv.slice_rows(config.q_dim() + config.kv_dim(), config.kv_dim());
  } else {
    weights.wq = binder.matrix(layer_tensor(layer, "attn_q"), d, config.q_dim());
    weights.wk = binder.matrix(layer_tensor(layer, "attn_k"), d, config.kv_dim());
    weights.wv = binder.matrix(layer_tensor(layer, "attn_v"), d, config.kv_dim());
  }
  weights.wo = binder.matrix(layer_tensor(layer, "attn_output"), config.q_dim(), d);
  weights.bq = binder.optional_vector(layer_bias(layer, "attn_q"), config.q_dim());
  weights.bk = binder.optional_vector(layer_bias(layer, "attn_k"), config.kv_dim());
  weights.bv = binder.optional_vector(layer_bias(layer, "attn_v"), config.kv_dim());
}

}  // namespace

void bind_attention(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                    LayerWeights& weights) {
  weights.attn_norm = binder.vector(layer_tensor(layer, "attn_norm"), config.n_embd);
  bind_projections(binder, config, layer, weights);
}

void bind_encoder_layer(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                        LayerWeights& weights) {
  const int64_t d = config.n_embd;
  bind_projections(binder, config, layer, weights);
  weights.bo = binder.optional_vector(layer_bias(layer, "attn_output"), d);
  weights.post_attention_norm = binder.vector(layer_tensor(layer, "attn_output_norm"), d);
  weights.post_attention_norm_bias = binder.vector(layer_bias(layer, "attn_output_norm"), d);
  weights.up = binder.matrix(layer_tensor(layer, "ffn_up"), d, config.n_ff);
  weights.up_bias = binder.optional_vector(layer_bias(layer, "ffn_up"), config.n_ff);
  if (binder.find(layer_tensor(layer, "ffn_gate")) != nullptr)
    weights.gate = binder.matrix(layer_tensor(layer, "ffn_gate"), d, config.n_ff);
  weights.down = binder.matrix(layer_tensor(layer, "ffn_down"), config.n_ff, d);
  weights.down_bias = binder.optional_vector(layer_bias(layer, "ffn_down"), d);
  weights.post_ffn_norm = binder.vector(layer_tensor(layer, "layer_output_norm"), d);
  weights.post_ffn_norm_bias = binder.vector(layer_bias(layer, "layer_output_norm"), d);
}

void bind_head_norms(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                     LayerWeights& weights) {
  weights.q_norm = binder.vector(layer_tensor(layer, "attn_q_norm"), config.head_dim);
  weights.k_norm = binder.vector(layer_tensor(layer, "attn_k_norm"), config.head_dim);
}

void bind_feed_forward(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                       LayerWeights& weights) {
  const int64_t d = config.n_embd;
  weights.ffn_norm = binder.vector(layer_tensor(layer, "ffn_norm"), d);
  weights.gate = binder.matrix(layer_tensor(layer, "ffn_gate"), d, config.n_ff);
  weights.up = binder.matrix(layer_tensor(layer, "ffn_up"), d, config.n_ff);
  weights.down = binder.matrix(layer_tensor(layer, "ffn_down"), config.n_ff, d);
}

void bind_fused_feed_forward(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                             LayerWeights& weights) {
  const int64_t d = config.n_embd;
  weights.ffn_norm = binder.vector(layer_tensor(layer, "ffn_norm"), d);
  const auto fused = binder.matrix(layer_tensor(layer, "ffn_up"), d, 2 * config.n_ff);
  weights.gate = fused.slice_rows(0, config.n_ff);
  weights.up = fused.slice_rows(config.n_ff, config.n_ff);
  weights.down = binder.matrix(layer_tensor(layer, "ffn_down"), config.n_ff, d);
}

void bind_expert_feed_forward(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                              LayerWeights& weights) {
  const int64_t d = config.n_embd;
  const int64_t n_ff = config.n_ff_expert;
  const int64_t n_expert = config.n_expert;
  weights.ffn_norm = binder.vector(layer_tensor(layer, "ffn_norm"), d);
  weights.router = binder.matrix(layer_tensor(layer, "ffn_gate_inp"), d, n_expert);
  weights.expert_gate =
      binder.stacked_matrices(layer_tensor(layer, "ffn_gate_exps"), d, n_ff, n_expert);
  weights.expert_up =
      binder.stacked_matrices(layer_tensor(layer, "ffn_up_exps"), d, n_ff, n_expert);
  weights.expert_down =
      binder.stacked_matrices(layer_tensor(layer, "ffn_down_exps"), n_ff, d, n_expert);
  for (const char* role :
       {"ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp", "ffn_gate_inp_shexp"}) {
    if (binder.find(layer_tensor(layer, role))) {
      throw Error(binder.where() + "tensor '" + layer_tensor(layer, role) +
                  "': shared experts are not supported");
    }
  }
}

}  // namespace weft::model
