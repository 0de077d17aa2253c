// nomic-bert (nomic-embed-text): bert's post-norm encoder with rope (neox pairs, base from
// rope.freq_base) in place of position embeddings, a fused attn_qkv, and a SwiGLU block
// (ffn_gate, ffn_up, ffn_down); no biases. The facts are those of llama.cpp's nomic-bert
// loader and its bert graph.
#include "model/arch/architecture.hpp"
#include "model/arch/hyperparameter_reader.hpp"
#include "model/arch/layer_binding.hpp"

namespace weft::model::arch {
namespace {

void read_nomic_bert_hyperparameters(const HyperparameterReader& reader, ModelConfig& config) {
  config.norm_eps = static_cast<float>(reader.required_float("attention.layer_norm_epsilon"));
}

LayerWeights bind_nomic_bert_layer(const TensorBinder& binder, const ModelConfig& config,
                                   int64_t layer) {
  LayerWeights weights;
  bind_encoder_layer(binder, config, layer, weights);
  // Without a gate the block would be bert's GELU one: name the missing tensor instead.
  binder.require(layer_tensor(layer, "ffn_gate"));
  return weights;
}

}  // namespace

const ArchitectureSpec nomic_bert{
    .architecture = Architecture::nomic_bert,
    .gguf_name = "nomic-bert",
    .differences =
        "encoder for embeddings: bert's post-norm block with rope (neox) instead of "
        "position_embd, fused attn_qkv, SwiGLU ffn_gate/ffn_up/ffn_down, no biases",
    .hooks = {.rope_mode = tensor::RopeMode::neox,
              .activation = GatedActivation::silu,
              .encoder = true},
    .read_hyperparameters = read_nomic_bert_hyperparameters,
    .bind_layer = bind_nomic_bert_layer,
    // nomic-embed-text-v1.5's config.json: rope base 1000, LayerNorm epsilon 1e-12.
    .synthetic = {.rope_base = 1000.0f, .rms_epsilon = 1e-12f, .fused = true, .encoder = true},
};

}  // namespace weft::model::arch
