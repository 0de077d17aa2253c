// Architecture and sizes of a synthetic (random-weight) model: named shapes of real models,
// or explicit sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::model::synthetic {

struct ModelShape {
  std::string name;          // the named shape, or "custom"
  std::string architecture;  // GGUF general.architecture (model/arch/architecture_list.hpp)
  uint32_t embedding = 0;    // hidden size
  uint32_t layers = 0;
  uint32_t heads = 0;
  uint32_t kv_heads = 0;
  uint32_t feed_forward = 0;
  uint32_t vocab = 0;
  uint32_t context = 0;  // <arch>.context_length
  // Key/value length per head; 0: embedding / heads. Gemma 3's and Qwen 3's differ (Gemma 3 1B:
  // 1152 / 4 = 288, heads of 256), so that q, k and v are narrower than the embedding.
  uint32_t head_size = 0;
  // From the architecture's table row (ArchitectureSpec::synthetic, model/arch/).
  bool tied_embeddings = true;     // no output.weight: the token embedding is the output matrix
  bool qkv_bias = false;           // attn_q/k/v.bias (qwen2)
  bool qk_norm = false;            // attn_q_norm/attn_k_norm over each head (qwen3)
  bool fused = false;              // attn_qkv and a gate+up ffn_up, no ffn_gate (phi3)
  bool post_norms = false;         // post_attention_norm, post_ffw_norm (gemma2)
  bool scaled_embeddings = false;  // the model multiplies its embedding by √dim (gemma2)
  float rope_base = 10000.0f;
  float rms_epsilon = 1e-5f;
  // Writes key/value lengths, the soft-caps and the sliding window (gemma2), with these
  // values: the published models' by default.
  bool soft_capping_keys = false;
  float attention_softcap = 0.0f;
  float final_softcap = 0.0f;
  uint32_t sliding_window = 0;
  // Writes key/value lengths and the sliding window without the soft-caps (gemma3).
  bool sliding_window_keys = false;
  bool free_head_size = false;  // --head-dim may differ from embedding / heads
  // Mixture of experts (qwen3moe): `experts` experts of which `experts_used` run per token,
  // each `expert_feed_forward` wide (0: feed_forward); 0 experts: a dense feed-forward block.
  uint32_t experts = 0;
  uint32_t experts_used = 0;
  uint32_t expert_feed_forward = 0;
  // gpt-oss (SyntheticLayout's fields of the same names).
  bool attention_output_bias = false;
  bool attention_sinks = false;
  bool expert_biases = false;
  std::string ffn_norm_name = "ffn_norm";
  float yarn_factor = 0.0f;  // 0: no rope.scaling keys
  uint32_t yarn_original_context = 0;
  // An encoder (bert, nomic-bert; SyntheticLayout::encoder has what it writes), and its
  // <arch>.pooling_type: 1 mean, 2 cls.
  bool encoder = false;
  bool position_embeddings = false;
  bool gated_feed_forward = true;
  uint32_t pooling = 1;

  uint32_t head_dim() const { return head_size != 0 ? head_size : embedding / heads; }
  // The width of the queries and of the attention output: heads × head size.
  uint32_t q_dim() const { return heads * head_dim(); }
  // attention.key_length/value_length must be written: they differ from embedding / heads.
  bool explicit_head_size() const { return head_size != 0 && head_size * heads != embedding; }
  uint32_t expert_ffn() const { return expert_feed_forward ? expert_feed_forward : feed_forward; }
  uint64_t parameter_count() const;
};

// smollm2-135m, qwen2.5-0.5b, llama-3.2-1b.
std::optional<ModelShape> named_shape(std::string_view name);
std::vector<std::string> named_shape_names();
// The architectures mkmodel writes.
std::vector<std::string> synthetic_architectures();
// Defaults of an explicit-size shape of `architecture` (rope base, norm epsilon, biases and
// extra tensors as the published models of that family; phi3 untied, as llama.cpp requires);
// sizes left 0.
ModelShape custom_shape(std::string_view architecture);

// Throws weft::Error naming the first size that cannot make a valid model (zero sizes, heads
// not dividing the embedding, kv heads not dividing heads, odd head size, row lengths not
// a multiple of 32 that every block format needs, unknown architecture).
void validate(const ModelShape& shape);

}  // namespace weft::model::synthetic
