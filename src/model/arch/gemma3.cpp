// gemma3 (Gemma 3, text): Gemma 2's block (embeddings times √n_embd, GeGLU with tanh GELU,
// RMS norms after the attention and feed-forward outputs) with Qwen 3's per-head q/k norms
// before rope, no attention soft-cap, and five sliding-window layers to one global one. The
// two kinds rope differently: global layers with rope.freq_base (and linear scaling where the
// file asks for it), local ones with rope.freq_base_swa (10000 when absent), never scaled.
// The facts are those of llama.cpp's gemma3 loader and graph.
#include <cmath>

#include "model/arch/architecture.hpp"
#include "model/arch/hyperparameter_reader.hpp"
#include "model/arch/layer_binding.hpp"
#include "weft/error.hpp"

namespace weft::model::arch {
namespace {

// Gemma 3's layers come in groups of six: five local, then one global (layers 5, 11, …).
constexpr int64_t kDefaultSlidingWindowPattern = 6;
// The rope base of the local layers when the file does not name one (Gemma 3's config).
constexpr double kDefaultSlidingRopeBase = 10000.0;
// Gemma 3 27B, the one size whose query_pre_attn_scalar is n_embd / n_head rather than the
// head size; GGUF files carry no key for it, so llama.cpp recognises the size by its depth.
constexpr int64_t kLayersOf27B = 62;

void read_sliding_window(const HyperparameterReader& reader, ModelConfig& config) {
  config.sliding_window = reader.optional_count("attention.sliding_window", 0, int64_t{1} << 40);
  if (config.sliding_window == 0) return;
  // A period p makes layer i global when i % p == p - 1; p = 1: every layer global.
  const int64_t period =
      reader.optional_count("attention.sliding_window_pattern", kDefaultSlidingWindowPattern);
  for (int64_t layer = 0; layer < config.n_layer; ++layer) {
    config.layer_is_sliding[static_cast<size_t>(layer)] = layer % period < period - 1;
  }
  config.sliding_rope_base = reader.optional_float("rope.freq_base_swa", kDefaultSlidingRopeBase);
  if (config.sliding_rope_base <= 0) {
    throw Error(reader.where() + "metadata key '" + reader.full("rope.freq_base_swa") +
                "' must be positive");
  }
}

void read_gemma3_hyperparameters(const HyperparameterReader& reader, ModelConfig& config) {
  config.embedding_scale = static_cast<float>(std::sqrt(static_cast<double>(config.n_embd)));
  // Gemma 3 has no attention soft-cap (a stored attn_logit_softcapping is ignored, as
  // llama.cpp does); a final soft-cap applies only where the file has one.
  config.final_softcap = static_cast<float>(reader.optional_float("final_logit_softcapping", 0.0));
  if (config.n_layer == kLayersOf27B) {
    config.attention_scale =
        static_cast<float>(1.0 / std::sqrt(static_cast<double>(config.n_embd / config.n_head)));
  }
  read_sliding_window(reader, config);
}

LayerWeights bind_gemma3_layer(const TensorBinder& binder, const ModelConfig& config,
                               int64_t layer) {
  LayerWeights weights;
  bind_attention(binder, config, layer, weights);
  bind_head_norms(binder, config, layer, weights);
  weights.post_attention_norm =
      binder.vector(layer_tensor(layer, "post_attention_norm"), config.n_embd);
  bind_feed_forward(binder, config, layer, weights);
  weights.post_ffn_norm = binder.vector(layer_tensor(layer, "post_ffw_norm"), config.n_embd);
  return weights;
}

}  // namespace

const ArchitectureSpec gemma3{
    .architecture = Architecture::gemma3,
    .gguf_name = "gemma3",
    .differences =
        "embeddings × √n_embd; attn_q_norm/attn_k_norm before rope; GeGLU (tanh GELU); "
        "post_attention_norm and post_ffw_norm; 5 of 6 layers use attention.sliding_window "
        "and rope.freq_base_swa (10000), every 6th attends globally with rope.freq_base",
    .hooks = {.rope_mode = tensor::RopeMode::neox, .activation = GatedActivation::gelu_tanh},
    .read_hyperparameters = read_gemma3_hyperparameters,
    .bind_layer = bind_gemma3_layer,
    // Gemma 3 1B's config.json: global rope base 1e6, a 512-token window (4B and larger: 1024).
    .synthetic = {.rope_base = 1000000.0f,
                  .rms_epsilon = 1e-6f,
                  .qk_norm = true,
                  .post_norms = true,
                  .scaled_embeddings = true,
                  .sliding_window = 512,
                  .sliding_window_keys = true,
                  .free_head_size = true},
};

}  // namespace weft::model::arch
