// gpt-oss (OpenAI's open-weight mixture of experts, gpt-oss-20b and -120b): neox rope with
// YaRN scaling, biases on q, k, v and the attention output, a learned sink logit per head in
// the attention softmax, even layers inside attention.sliding_window and odd layers global;
// the feed-forward norm is stored as post_attention_norm. Its router has a bias and picks
// the expert_used_count experts with the highest logits, weighted by the softmax over those
// logits only; each expert's gate, up and down have biases, and the activation is the
// clamped SwiGLU (GatedActivation::swiglu_oai). No q/k norms, no shared experts.
#include "model/arch/architecture.hpp"
#include "model/arch/hyperparameter_reader.hpp"
#include "model/arch/layer_binding.hpp"
#include "weft/error.hpp"

namespace weft::model::arch {
namespace {

// llama.cpp's limit on experts per layer (LLAMA_MAX_EXPERTS).
constexpr int64_t kMaxGptOssExperts = 512;
// A period p makes layer i global when i % p == p − 1: gpt-oss alternates (llama.cpp's
// default for it when the file has no attention.sliding_window_pattern).
constexpr int64_t kGptOssSlidingPeriod = 2;

void read_gpt_oss_hyperparameters(const HyperparameterReader& reader, ModelConfig& config) {
  config.n_expert = reader.required_count("expert_count", kMaxGptOssExperts);
  config.n_expert_used = reader.required_count("expert_used_count", config.n_expert);
  config.n_ff_expert = reader.required_count("expert_feed_forward_length");
  config.softmax_over_chosen_experts = true;
  // llama.cpp requires the window for gpt-oss.
  config.sliding_window = reader.required_count("attention.sliding_window", int64_t{1} << 40);
  const int64_t period = reader.optional_count("attention.sliding_window_pattern",
                                               kGptOssSlidingPeriod, config.n_layer + 1);
  for (int64_t layer = 0; layer < config.n_layer; ++layer)
    config.layer_is_sliding[static_cast<size_t>(layer)] = layer % period < period - 1;
}

LayerWeights bind_gpt_oss_layer(const TensorBinder& binder, const ModelConfig& config,
                                int64_t layer) {
  const int64_t d = config.n_embd;
  const int64_t n_expert = config.n_expert;
  const int64_t n_ff = config.n_ff_expert;
  LayerWeights weights;
  bind_attention(binder, config, layer, weights);
  weights.bo = binder.vector(layer_bias(layer, "attn_output"), d);
  weights.attention_sinks = binder.vector(layer_tensor(layer, "attn_sinks"), config.n_head);
  weights.ffn_norm = binder.vector(layer_tensor(layer, "post_attention_norm"), d);
  weights.router = binder.matrix(layer_tensor(layer, "ffn_gate_inp"), d, n_expert);
  weights.router_bias = binder.vector(layer_bias(layer, "ffn_gate_inp"), n_expert);
  weights.expert_gate =
      binder.stacked_matrices(layer_tensor(layer, "ffn_gate_exps"), d, n_ff, n_expert);
  weights.expert_up =
      binder.stacked_matrices(layer_tensor(layer, "ffn_up_exps"), d, n_ff, n_expert);
  weights.expert_down =
      binder.stacked_matrices(layer_tensor(layer, "ffn_down_exps"), n_ff, d, n_expert);
  weights.expert_gate_bias =
      binder.stacked_vectors(layer_bias(layer, "ffn_gate_exps"), n_ff, n_expert);
  weights.expert_up_bias = binder.stacked_vectors(layer_bias(layer, "ffn_up_exps"), n_ff, n_expert);
  weights.expert_down_bias =
      binder.stacked_vectors(layer_bias(layer, "ffn_down_exps"), d, n_expert);
  return weights;
}

}  // namespace

const ArchitectureSpec gpt_oss{
    .architecture = Architecture::gpt_oss,
    .gguf_name = "gpt-oss",
    .differences =
        "YaRN rope; q/k/v and output biases; a sink logit per head (attn_sinks) in the "
        "softmax; even layers use attention.sliding_window; mixture of experts: the router "
        "(with bias) picks the top logits, softmax over those; experts with biases and a "
        "clamped SwiGLU (α 1.702, limit 7, up + 1)",
    .hooks = {.rope_mode = tensor::RopeMode::neox, .activation = GatedActivation::swiglu_oai},
    .read_hyperparameters = read_gpt_oss_hyperparameters,
    .bind_layer = bind_gpt_oss_layer,
    // gpt-oss-20b's config.json: rope base 150000, YaRN factor 32 over 4096 positions, a
    // 128-token window, 32 experts of which 4 run.
    .synthetic = {.rope_base = 150000.0f,
                  .rms_epsilon = 1e-5f,
                  .tied_embeddings = false,
                  .qkv_bias = true,
                  .sliding_window = 128,
                  .sliding_window_keys = true,
                  .free_head_size = true,
                  .experts = true,
                  .expert_count = 32,
                  .experts_used = 4,
                  .attention_output_bias = true,
                  .attention_sinks = true,
                  .expert_biases = true,
                  .ffn_norm_name = "post_attention_norm",
                  .yarn_factor = 32.0f,
                  .yarn_original_context = 4096},
};

}  // namespace weft::model::arch
