// gemma2 (Gemma 2): embeddings times √n_embd; GeGLU with tanh GELU; RMS norms after the
// attention and feed-forward outputs too (post_attention_norm, post_ffw_norm); attention
// scores soft-capped after scaling, final logits soft-capped; even layers attend within a
// sliding window, odd layers globally; rope on pairs (i, i + n_rot/2).
#include <cmath>

#include "model/arch/architecture.hpp"
#include "model/arch/hyperparameter_reader.hpp"
#include "model/arch/layer_binding.hpp"

namespace weft::model::arch {
namespace {

void read_gemma2_hyperparameters(const HyperparameterReader& reader, ModelConfig& config) {
  config.embedding_scale = static_cast<float>(std::sqrt(static_cast<double>(config.n_embd)));
  config.attention_softcap =
      static_cast<float>(reader.optional_float("attn_logit_softcapping", 0.0));
  config.final_softcap = static_cast<float>(reader.optional_float("final_logit_softcapping", 0.0));
  config.sliding_window = reader.optional_count("attention.sliding_window", 0, int64_t{1} << 40);
  // Gemma 2 alternates: even layers use the sliding window, odd layers attend globally.
  for (int64_t layer = 0; layer < config.n_layer; ++layer) {
    config.layer_is_sliding[static_cast<size_t>(layer)] =
        config.sliding_window > 0 && layer % 2 == 0;
  }
}

LayerWeights bind_gemma2_layer(const TensorBinder& binder, const ModelConfig& config,
                               int64_t layer) {
  LayerWeights weights;
  bind_attention(binder, config, layer, weights);
  bind_feed_forward(binder, config, layer, weights);
  weights.post_attention_norm =
      binder.vector(layer_tensor(layer, "post_attention_norm"), config.n_embd);
  weights.post_ffn_norm = binder.vector(layer_tensor(layer, "post_ffw_norm"), config.n_embd);
  return weights;
}

}  // namespace

const ArchitectureSpec gemma2{
    .architecture = Architecture::gemma2,
    .gguf_name = "gemma2",
    .differences =
        "embeddings × √n_embd; GeGLU (tanh GELU); post_attention_norm and post_ffw_norm; "
        "attention and final logits soft-capped; even layers use attention.sliding_window",
    .hooks = {.rope_mode = tensor::RopeMode::neox, .activation = GatedActivation::gelu_tanh},
    .read_hyperparameters = read_gemma2_hyperparameters,
    .bind_layer = bind_gemma2_layer,
    // Gemma 2's config.json: soft-caps 50 and 30, a 4096-token window.
    .synthetic = {.rope_base = 10000.0f,
                  .rms_epsilon = 1e-6f,
                  .post_norms = true,
                  .scaled_embeddings = true,
                  .soft_capping_keys = true,
                  .attention_softcap = 50.0f,
                  .final_softcap = 30.0f,
                  .sliding_window = 4096,
                  .free_head_size = true},
};

}  // namespace weft::model::arch
