#include "model/synthetic/model_shape.hpp"

#include <array>

#include "model/arch/architecture.hpp"
#include "weft/error.hpp"

namespace weft::model::synthetic {
namespace {

// The tensors and keys of `architecture` beyond plain llama's, from its table row; an
// architecture weft does not run keeps llama's (validate() then names it).
void apply_layout(ModelShape& shape) {
  const ArchitectureSpec* spec = find_architecture(shape.architecture);
  const SyntheticLayout layout = spec ? spec->synthetic : SyntheticLayout{};
  shape.tied_embeddings = layout.tied_embeddings;
  shape.qkv_bias = layout.qkv_bias;
  shape.qk_norm = layout.qk_norm;
  shape.fused = layout.fused;
  shape.post_norms = layout.post_norms;
  shape.scaled_embeddings = layout.scaled_embeddings;
  shape.soft_capping_keys = layout.soft_capping_keys;
  shape.attention_softcap = layout.attention_softcap;
  shape.final_softcap = layout.final_softcap;
  shape.sliding_window = layout.sliding_window;
  shape.sliding_window_keys = layout.sliding_window_keys;
  shape.free_head_size = layout.free_head_size;
  shape.experts = layout.experts ? layout.expert_count : 0;
  shape.experts_used = layout.experts ? layout.experts_used : 0;
  shape.encoder = layout.encoder;
  shape.position_embeddings = layout.position_embeddings;
  shape.gated_feed_forward = layout.gated_feed_forward;
  shape.attention_output_bias = layout.attention_output_bias;
  shape.attention_sinks = layout.attention_sinks;
  shape.expert_biases = layout.expert_biases;
  shape.ffn_norm_name = std::string(layout.ffn_norm_name);
  shape.yarn_factor = layout.yarn_factor;
  shape.yarn_original_context = layout.yarn_original_context;
}

ModelShape make(std::string name, std::string architecture, uint32_t embedding, uint32_t layers,
                uint32_t heads, uint32_t kv_heads, uint32_t feed_forward, uint32_t vocab,
                uint32_t context, float rope_base, float rms_epsilon) {
  ModelShape shape;
  shape.name = std::move(name);
  shape.architecture = std::move(architecture);
  shape.embedding = embedding;
  shape.layers = layers;
  shape.heads = heads;
  shape.kv_heads = kv_heads;
  shape.feed_forward = feed_forward;
  shape.vocab = vocab;
  shape.context = context;
  shape.rope_base = rope_base;
  shape.rms_epsilon = rms_epsilon;
  apply_layout(shape);
  return shape;
}

// The sizes of the published models (their config.json), all with tied embeddings.
std::array<ModelShape, 3> named_shapes() {
  return {
      make("smollm2-135m", "llama", 576, 30, 9, 3, 1536, 49152, 8192, 100000.0f, 1e-5f),
      make("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, 32768, 1000000.0f, 1e-6f),
      make("llama-3.2-1b", "llama", 2048, 16, 32, 8, 8192, 128256, 131072, 500000.0f, 1e-5f),
  };
}

void require(bool condition, const std::string& message) {
  if (!condition) throw Error(ErrorCode::invalid_request, "model shape: " + message);
}

}  // namespace

uint64_t ModelShape::parameter_count() const {
  const uint64_t e = embedding;
  const uint64_t kv = static_cast<uint64_t>(kv_heads) * head_dim();
  uint64_t per_layer = 2 * e                           // attention and ffn norms
                       + e * q_dim() * 2 + e * kv * 2  // q, output; k, v
                       + 3 * e * feed_forward;         // gate, up, down
  if (experts > 0) {  // the router and the experts instead of the dense block
    per_layer -= 3 * e * feed_forward;
    per_layer += e * experts + 3 * e * uint64_t{expert_ffn()} * experts;
  }
  if (qkv_bias) per_layer += q_dim() + 2 * kv;
  if (attention_output_bias) per_layer += e;
  if (attention_sinks) per_layer += heads;
  if (expert_biases) per_layer += experts * (1 + 2 * uint64_t{expert_ffn()} + e);
  if (qk_norm) per_layer += 2 * head_dim();
  if (post_norms) per_layer += 2 * e;
  uint64_t total = per_layer * layers + static_cast<uint64_t>(vocab) * e + e;
  if (!tied_embeddings) total += static_cast<uint64_t>(vocab) * e;
  return total;
}

std::optional<ModelShape> named_shape(std::string_view name) {
  for (auto& shape : named_shapes()) {
    if (shape.name == name) return shape;
  }
  return std::nullopt;
}

std::vector<std::string> named_shape_names() {
  std::vector<std::string> names;
  for (const auto& shape : named_shapes()) names.push_back(shape.name);
  return names;
}

std::vector<std::string> synthetic_architectures() {
  std::vector<std::string> names;
  for (const ArchitectureSpec* spec : all_architectures()) names.emplace_back(spec->gguf_name);
  return names;
}

ModelShape custom_shape(std::string_view architecture) {
  const ArchitectureSpec* spec = find_architecture(architecture);
  const SyntheticLayout layout = spec ? spec->synthetic : SyntheticLayout{};
  return make("custom", std::string(architecture), 0, 0, 0, 0, 0, 0, 2048, layout.rope_base,
              layout.rms_epsilon);
}

void validate(const ModelShape& shape) {
  const ArchitectureSpec* spec = find_architecture(shape.architecture);
  require(spec != nullptr, "architecture '" + shape.architecture + "' is not supported (" +
                               supported_architectures() + ")");
  // An architecture written untied is one whose llama.cpp loader requires output.weight.
  require(spec->synthetic.tied_embeddings || !shape.tied_embeddings,
          shape.architecture +
              " needs a separate output.weight (llama.cpp requires it): it cannot be tied");
  require(shape.embedding > 0, "--dim must be positive");
  require(shape.layers > 0, "--layers must be positive");
  require(shape.heads > 0, "--heads must be positive");
  require(shape.kv_heads > 0, "--kv-heads must be positive");
  require(shape.feed_forward > 0, "--ffn must be positive");
  require(shape.vocab > 0, "--vocab must be positive");
  require(shape.head_size != 0 || shape.embedding % shape.heads == 0,
          "--dim " + std::to_string(shape.embedding) + " is not a multiple of --heads " +
              std::to_string(shape.heads) + " (or give --head-dim)");
  require(!shape.explicit_head_size() || shape.free_head_size,
          "--head-dim: llama.cpp sizes " + shape.architecture +
              "'s attention by --dim, so its head size is --dim / --heads");
  require(shape.heads % shape.kv_heads == 0, "--heads " + std::to_string(shape.heads) +
                                                 " is not a multiple of --kv-heads " +
                                                 std::to_string(shape.kv_heads));
  require(shape.head_dim() % 2 == 0,
          "head size " + std::to_string(shape.head_dim()) + " must be even for rotary embeddings");
  require(shape.embedding % 32 == 0, "--dim must be a multiple of 32 (block size)");
  require(shape.q_dim() % 32 == 0, "--heads × head size " + std::to_string(shape.q_dim()) +
                                       " must be a multiple of 32 (block size)");
  require(shape.feed_forward % 32 == 0, "--ffn must be a multiple of 32 (block size)");
  require(shape.context > 0, "context length must be positive");
  require(shape.sliding_window == 0 || shape.soft_capping_keys || shape.sliding_window_keys,
          shape.architecture + " has no sliding window (--window)");
  // llama.cpp's gemma2 and gpt-oss loaders require the window (gpt-oss: the one with sinks).
  require(shape.sliding_window > 0 || !(shape.soft_capping_keys || shape.attention_sinks),
          shape.architecture + " always records its sliding window: --window must be positive");
  require(shape.encoder || shape.pooling == 1,
          shape.architecture + " is not an embedding model (--pooling)");
  require(shape.pooling == 1 || shape.pooling == 2, "--pooling must be mean or cls");
  if (!spec->synthetic.experts) {
    require(shape.experts == 0, shape.architecture + " has no experts (--experts)");
    return;
  }
  require(shape.experts > 0, "--experts must be positive");
  require(shape.experts_used > 0 && shape.experts_used <= shape.experts,
          "--experts-used must be between 1 and --experts " + std::to_string(shape.experts));
  require(shape.expert_ffn() % 32 == 0, "--expert-ffn must be a multiple of 32 (block size)");
}

}  // namespace weft::model::synthetic
