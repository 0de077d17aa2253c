// qwen3moe (Qwen 3 mixture of experts, e.g. Qwen3-30B-A3B): qwen3's attention (per-head q/k
// RMS norms, neox rope), and in place of the dense feed-forward block a router
// (ffn_gate_inp) whose softmax over expert_count experts picks the expert_used_count most
// probable per token; their probabilities, rescaled to sum to 1 (llama.cpp always does for
// qwen3moe, as the published models' norm_topk_prob), weight the chosen experts' SwiGLU
// outputs. The experts' matrices are 3-D tensors (ffn_{gate,up,down}_exps); there are no
// shared experts.
#include "model/arch/architecture.hpp"
#include "model/arch/hyperparameter_reader.hpp"
#include "model/arch/layer_binding.hpp"

namespace weft::model::arch {
namespace {

// llama.cpp's limit on experts per layer (LLAMA_MAX_EXPERTS).
constexpr int64_t kMaxExperts = 512;

void read_qwen3moe_hyperparameters(const HyperparameterReader& reader, ModelConfig& config) {
  config.n_expert = reader.required_count("expert_count", kMaxExperts);
  config.n_expert_used = reader.required_count("expert_used_count", config.n_expert);
  // llama.cpp's fallback for files without the key: the dense width shared by the used experts.
  config.n_ff_expert = reader.optional_count("expert_feed_forward_length",
                                             config.n_ff / config.n_expert_used, int64_t{1} << 31);
  config.normalize_expert_weights = true;
}

LayerWeights bind_qwen3moe_layer(const TensorBinder& binder, const ModelConfig& config,
                                 int64_t layer) {
  LayerWeights weights;
  bind_attention(binder, config, layer, weights);
  bind_head_norms(binder, config, layer, weights);
  bind_expert_feed_forward(binder, config, layer, weights);
  return weights;
}

}  // namespace

const ArchitectureSpec qwen3moe{
    .architecture = Architecture::qwen3moe,
    .gguf_name = "qwen3moe",
    .differences =
        "qwen3's attention; mixture of experts: softmax router (ffn_gate_inp) picks "
        "expert_used_count of expert_count SwiGLU experts (ffn_*_exps), weights renormalised",
    .hooks = {.rope_mode = tensor::RopeMode::neox, .activation = GatedActivation::silu},
    .read_hyperparameters = read_qwen3moe_hyperparameters,
    .bind_layer = bind_qwen3moe_layer,
    .synthetic = {.rope_base = 1000000.0f,
                  .rms_epsilon = 1e-6f,
                  .qk_norm = true,
                  .free_head_size = true,
                  .experts = true,
                  .expert_count = 128,  // Qwen3-30B-A3B's
                  .experts_used = 8},
};

}  // namespace weft::model::arch
