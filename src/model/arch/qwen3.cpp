// qwen3 (dense Qwen 3): llama with an RMS norm over each head's q and k (attn_q_norm,
// attn_k_norm, one head wide) before rope, and rope on pairs (i, i + n_rot/2).
#include "model/arch/architecture.hpp"
#include "model/arch/layer_binding.hpp"

namespace weft::model::arch {
namespace {

LayerWeights bind_qwen3_layer(const TensorBinder& binder, const ModelConfig& config,
                              int64_t layer) {
  LayerWeights weights;
  bind_attention(binder, config, layer, weights);
  bind_head_norms(binder, config, layer, weights);
  bind_feed_forward(binder, config, layer, weights);
  return weights;
}

}  // namespace

const ArchitectureSpec qwen3{
    .architecture = Architecture::qwen3,
    .gguf_name = "qwen3",
    .differences = "attn_q_norm/attn_k_norm: RMS norm of each head's q and k before rope",
    .hooks = {.rope_mode = tensor::RopeMode::neox, .activation = GatedActivation::silu},
    .read_hyperparameters = nullptr,
    .bind_layer = bind_qwen3_layer,
    .synthetic = {.rope_base = 1000000.0f,
                  .rms_epsilon = 1e-6f,
                  .qk_norm = true,
                  .free_head_size = true},
};

}  // namespace weft::model::arch
