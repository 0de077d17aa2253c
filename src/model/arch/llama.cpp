// llama (Llama 2/3.x, Mistral, SmolLM, TinyLlama): the plain layer every other architecture
// is described against. RMS norms before attention and feed-forward, SwiGLU, rope on pairs
// (2i, 2i+1); Llama 3's rope_freqs.weight and a tied output are handled by the generic code.
#include "model/arch/architecture.hpp"
#include "model/arch/layer_binding.hpp"

namespace weft::model::arch {
namespace {

LayerWeights bind_llama_layer(const TensorBinder& binder, const ModelConfig& config,
                              int64_t layer) {
  LayerWeights weights;
  bind_attention(binder, config, layer, weights);
  bind_feed_forward(binder, config, layer, weights);
  return weights;
}

}  // namespace

const ArchitectureSpec llama{
    .architecture = Architecture::llama,
    .gguf_name = "llama",
    .differences = "the plain layer: RMS norms, SwiGLU, grouped-query attention",
    .hooks = {.rope_mode = tensor::RopeMode::normal, .activation = GatedActivation::silu},
    .read_hyperparameters = nullptr,
    .bind_layer = bind_llama_layer,
    .synthetic = {.rope_base = 10000.0f, .rms_epsilon = 1e-5f, .free_head_size = true},
};

}  // namespace weft::model::arch
