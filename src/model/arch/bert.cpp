// bert (BERT, BGE, MiniLM and other sentence embedders): an encoder. The input is the sum of
// the token embedding, the token-type embedding of type 0 and an absolute position embedding,
// LayerNorm-ed; each layer attends bidirectionally with biased q/k/v and output projections,
// adds the residual and LayerNorms (post-norm), then a GELU block of ffn_up and ffn_down (both
// biased), residual and LayerNorm again. No output head: embeddings pool the last layer's
// states. The facts are those of llama.cpp's bert loader and graph.
#include "model/arch/architecture.hpp"
#include "model/arch/hyperparameter_reader.hpp"
#include "model/arch/layer_binding.hpp"

namespace weft::model::arch {
namespace {

void read_bert_hyperparameters(const HyperparameterReader& reader, ModelConfig& config) {
  config.norm_eps = static_cast<float>(reader.required_float("attention.layer_norm_epsilon"));
}

LayerWeights bind_bert_layer(const TensorBinder& binder, const ModelConfig& config, int64_t layer) {
  LayerWeights weights;
  bind_encoder_layer(binder, config, layer, weights);
  return weights;
}

}  // namespace

const ArchitectureSpec bert{
    .architecture = Architecture::bert,
    .gguf_name = "bert",
    .differences =
        "encoder for embeddings: bidirectional attention; token_types and position_embd added, "
        "token_embd_norm; LayerNorms with biases after each residual (attn_output_norm, "
        "layer_output_norm); biased projections; GELU (ungated) ffn_up/ffn_down; no output head",
    .hooks = {.activation = GatedActivation::gelu_tanh, .encoder = true},
    .read_hyperparameters = read_bert_hyperparameters,
    .bind_layer = bind_bert_layer,
    // bge-small-en-v1.5's config.json: LayerNorm epsilon 1e-12.
    .synthetic = {.rms_epsilon = 1e-12f,
                  .qkv_bias = true,
                  .encoder = true,
                  .position_embeddings = true,
                  .gated_feed_forward = false},
};

}  // namespace weft::model::arch
