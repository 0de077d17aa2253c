// Hyperparameters of a model, read from `general.architecture` and the `<arch>.*` keys.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/arch/architecture.hpp"
#include "tensor/kernels.hpp"
#include "weft/types.hpp"

namespace weft::gguf {
class GgufFile;
}

namespace weft::model {

struct ModelConfig {
  Architecture architecture = Architecture::llama;
  std::string architecture_name;  // as stored in general.architecture
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;  // key and value length per head
  int64_t n_ff = 0;
  int64_t n_vocab = 0;
  int64_t trained_context = 0;  // <arch>.context_length
  int64_t context_length = 0;   // what this instance allows: the override, else trained
  float norm_eps = 1e-5f;

  // The architecture's forward-pass hooks (ForwardHooks), resolved once at load.
  tensor::RopeMode rope_mode = tensor::RopeMode::normal;
  GatedActivation activation = GatedActivation::silu;
  bool encoder = false;  // bert, nomic-bert: runtime/encoder_pass.cpp, embeddings only
  int64_t n_rot = 0;
  double rope_base = 10000.0;
  double rope_frequency_scale = 1.0;  // linear rope scaling: 1 / factor
  // YaRN rope scaling (rope.scaling.type yarn; tensor::RopeYarn): the interpolation's scale
  // (1 / rope.scaling.factor), the cos/sin magnitude and each rotated pair's ramp between
  // interpolation (0) and extrapolation (1); an empty ramp: no YaRN.
  float rope_yarn_frequency_scale = 1.0f;
  float rope_yarn_magnitude = 1.0f;
  std::vector<float> rope_yarn_ramp;
  // The rope base of the layers inside the sliding window, which are never scaled (gemma3:
  // rope.freq_base_swa, else 10000); 0: they rope as the other layers.
  double sliding_rope_base = 0.0;

  // Set by the architecture's reader (arch/<name>.cpp) where it differs.
  float embedding_scale = 1.0f;        // gemma2: sqrt(n_embd)
  float attention_scale = 0.0f;        // multiplier of q·k
  float attention_softcap = 0.0f;      // 0: none
  float final_softcap = 0.0f;          // 0: none
  int64_t sliding_window = 0;          // 0: none
  std::vector<bool> layer_is_sliding;  // per layer, true where the window applies

  // Mixture of experts (qwen3moe), set by the architecture's reader; 0 experts: every layer
  // has a dense feed-forward block. The router's softmax picks n_expert_used of n_expert
  // experts per token, each a gated feed-forward block n_ff_expert wide.
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t n_ff_expert = 0;
  // The chosen experts' router probabilities rescaled to sum to 1 (qwen3moe: always).
  bool normalize_expert_weights = false;
  // gpt-oss: the experts with the highest router logits are chosen first, and their weights
  // are the softmax over the chosen logits only; false: the softmax over all experts first.
  bool softmax_over_chosen_experts = false;

  int64_t kv_dim() const { return n_head_kv * head_dim; }
  int64_t q_dim() const { return n_head * head_dim; }
};

// The public progress types (weft/types.hpp), so that a backend passes its caller's callback on.
using weft::LoadProgress;
using weft::LoadProgressCallback;

struct ModelLoadOptions {
  // Replaces the stored context length (stories260K stores 128 but was trained at 512).
  std::optional<int64_t> context_length;
  // Repack the weights whose fast products read another layout (Q4_0 on x86); the kernels
  // that read weights as stored are unaffected either way.
  bool pack_weights = true;
  // Threads that share the packing (0: the hardware concurrency).
  unsigned packing_threads = 0;
  // Where packed weights are kept between loads (packed_weight_cache.hpp; the CLI and the
  // native backend pass default_packed_cache_directory()); empty: packed at every load.
  std::filesystem::path packed_cache_directory{};
  // Packed weights smaller than this are not cached (packing them takes milliseconds).
  uint64_t packed_cache_min_bytes = 64ULL << 20;
  LoadProgressCallback progress{};
};

// Throws weft::Error naming the key when it is missing or out of range, or naming the
// architecture when it is not supported.
ModelConfig read_model_config(const gguf::GgufFile& file, const ModelLoadOptions& options);

}  // namespace weft::model
