// phi3 (Phi-3, Phi-3.5, Phi-4-mini): llama with q, k, v fused in one attn_qkv and gate and up
// fused in one ffn_up (bound as row slices, never copied), rope on pairs (i, i + n_rot/2).
// llama.cpp requires a separate output.weight.
#include "model/arch/architecture.hpp"
#include "model/arch/layer_binding.hpp"

namespace weft::model::arch {
namespace {

LayerWeights bind_phi3_layer(const TensorBinder& binder, const ModelConfig& config, int64_t layer) {
  LayerWeights weights;
  bind_attention(binder, config, layer, weights);  // takes attn_qkv, or separate q/k/v
  bind_fused_feed_forward(binder, config, layer, weights);
  return weights;
}

}  // namespace

const ArchitectureSpec phi3{
    .architecture = Architecture::phi3,
    .gguf_name = "phi3",
    .differences =
        "fused attn_qkv (q, k, v rows) and fused ffn_up (gate rows, then up rows), bound as row "
        "slices",
    .hooks = {.rope_mode = tensor::RopeMode::neox, .activation = GatedActivation::silu},
    .read_hyperparameters = nullptr,
    .bind_layer = bind_phi3_layer,
    .synthetic = {.rope_base = 10000.0f,
                  .rms_epsilon = 1e-5f,
                  .tied_embeddings = false,
                  .fused = true},
};

}  // namespace weft::model::arch
