// qwen2 (Qwen 2, Qwen 2.5): llama with attn_q/k/v biases added after the projections, all
// three required, and rope on pairs (i, i + n_rot/2).
#include "model/arch/architecture.hpp"
#include "model/arch/layer_binding.hpp"

namespace weft::model::arch {
namespace {

LayerWeights bind_qwen2_layer(const TensorBinder& binder, const ModelConfig& config,
                              int64_t layer) {
  LayerWeights weights;
  bind_attention(binder, config, layer, weights);
  // bind_attention takes the biases where present: name the first one that is absent.
  for (const char* role : {"attn_q", "attn_k", "attn_v"}) binder.require(layer_bias(layer, role));
  bind_feed_forward(binder, config, layer, weights);
  return weights;
}

}  // namespace

const ArchitectureSpec qwen2{
    .architecture = Architecture::qwen2,
    .gguf_name = "qwen2",
    .differences = "attn_q/k/v.bias added after the projections (required)",
    .hooks = {.rope_mode = tensor::RopeMode::neox, .activation = GatedActivation::silu},
    .read_hyperparameters = nullptr,
    .bind_layer = bind_qwen2_layer,
    .synthetic = {.rope_base = 1000000.0f, .rms_epsilon = 1e-6f, .qkv_bias = true},
};

}  // namespace weft::model::arch
