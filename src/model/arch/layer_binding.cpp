#include "model/arch/layer_binding.hpp"

#include "gguf/gguf_file.hpp"

namespace weft::model {

void bind_attention(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                    LayerWeights& weights) {
  const int64_t d = config.n_embd;
  weights.attn_norm = binder.vector(layer_tensor(layer, "attn_norm"), d);
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

}  // namespace weft::model
