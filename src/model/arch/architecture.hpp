// An architecture as a table row: its GGUF name, how it reads its hyperparameters, how it
// binds one layer's tensors, the forward-pass hooks it asks for, and what `weft mkmodel`
// writes for it. The generic code (model_config.cpp, model_weights.cpp, the forward pass in
// runtime/, synthetic/, the CLI) asks this table and names no architecture itself.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "model/arch/architecture_list.hpp"
#include "tensor/kernels.hpp"

namespace weft::model {

struct ModelConfig;
struct LayerWeights;
class HyperparameterReader;
class TensorBinder;

#define WEFT_ARCHITECTURE_ENUM_VALUE(identifier) identifier,
enum class Architecture { WEFT_MODEL_ARCHITECTURES(WEFT_ARCHITECTURE_ENUM_VALUE) };
#undef WEFT_ARCHITECTURE_ENUM_VALUE

// The activation of the gated feed-forward block: act(gate) · up.
enum class GatedActivation {
  silu,       // SwiGLU
  gelu_tanh,  // GeGLU with the tanh approximation of GELU
  // gpt-oss's SwiGLU: g = min(gate, 7), u = clamp(up, −7, 7), g·σ(1.702·g)·(u + 1).
  swiglu_oai,
};

// What the generic forward pass asks the architecture, resolved once when the model loads
// (copied into ModelConfig), never per element. Differences carried by values (embedding
// scale, soft-caps, the sliding window) are hyperparameters the reader sets; optional
// tensors (biases, q/k norms, post-norms) are applied where the binder bound them.
struct ForwardHooks {
  tensor::RopeMode rope_mode = tensor::RopeMode::normal;
  // With a bound ffn_gate: act(gate) · up; without (bert): act(up) alone.
  GatedActivation activation = GatedActivation::silu;
  // A BERT-style encoder: every token of one input attends to every other, LayerNorms with
  // biases after each block's residual, and no output head. Computed by
  // runtime/encoder_pass.cpp for embeddings only; the decoder pass refuses such a model.
  bool encoder = false;
};

// What `weft mkmodel --arch NAME` writes: the defaults of the published models of the
// family, and which tensors and keys beyond plain llama's.
struct SyntheticLayout {
  float rope_base = 10000.0f;
  float rms_epsilon = 1e-5f;
  bool tied_embeddings = true;  // false: a separate output.weight is required
  bool qkv_bias = false;        // attn_q/k/v.bias
  bool qk_norm = false;         // attn_q_norm/attn_k_norm over each head
  bool fused = false;           // attn_qkv and a gate+up ffn_up, no ffn_gate
  bool post_norms = false;      // post_attention_norm, post_ffw_norm
  // The forward pass multiplies the embedding by √n_embd: store it √n_embd times smaller.
  bool scaled_embeddings = false;
  // attention.key_length/value_length, attn_logit_softcapping, final_logit_softcapping and
  // attention.sliding_window keys, with these defaults.
  bool soft_capping_keys = false;
  float attention_softcap = 0.0f;
  float final_softcap = 0.0f;
  uint32_t sliding_window = 0;
  // attention.key_length/value_length and attention.sliding_window (with `sliding_window`)
  // without the soft-cap keys.
  bool sliding_window_keys = false;
  // llama.cpp's loader sizes attn_q and attn_output by attention.key_length × heads, so
  // `weft mkmodel --head-dim` may differ from dim / heads (qwen2's and phi3's use n_embd).
  bool free_head_size = false;
  // A mixture of experts in place of the dense feed-forward block: the router ffn_gate_inp,
  // the 3-D ffn_{gate,up,down}_exps, the keys expert_count, expert_used_count and
  // expert_feed_forward_length; these counts unless mkmodel's flags say otherwise.
  bool experts = false;
  uint32_t expert_count = 0;
  uint32_t experts_used = 0;
  // A BERT-style encoder (bert, nomic-bert): token_types, token_embd_norm (weight and bias),
  // attn_output_norm and layer_output_norm (LayerNorms with biases) in place of the RMS norms,
  // no output_norm or output; the keys attention.layer_norm_epsilon, attention.causal =
  // false, pooling_type and tokenizer.ggml.token_type_count.
  bool encoder = false;
  // Absolute position_embd, one row per position of the context (bert); else rope.
  bool position_embeddings = false;
  // false: act(ffn_up) alone, no ffn_gate (bert). With `encoder`, `qkv_bias` also biases
  // attn_output, ffn_up and ffn_down, and `fused` writes attn_qkv only (the gate stays apart).
  bool gated_feed_forward = true;
  // gpt-oss: attn_output.bias, attn_sinks, the router's and the experts' biases
  // (ffn_gate_inp.bias, ffn_{gate,up,down}_exps.bias), the norm before the feed-forward
  // block under this name, and rope.scaling keys for YaRN (factor 0: none).
  bool attention_output_bias = false;
  bool attention_sinks = false;
  bool expert_biases = false;
  std::string_view ffn_norm_name = "ffn_norm";
  float yarn_factor = 0.0f;
  uint32_t yarn_original_context = 0;
};

struct ArchitectureSpec {
  Architecture architecture;
  std::string_view gguf_name;  // general.architecture
  // What differs from plain llama, one line (`weft inspect`, docs/engine.md).
  std::string_view differences;
  ForwardHooks hooks;
  // Keys beyond the common ones (model_config.cpp), after them; nullptr: none.
  void (*read_hyperparameters)(const HyperparameterReader& reader, ModelConfig& config);
  // Every tensor of layer `layer`, in the order the errors should name missing ones.
  LayerWeights (*bind_layer)(const TensorBinder& binder, const ModelConfig& config, int64_t layer);
  SyntheticLayout synthetic;
};

namespace arch {
#define WEFT_ARCHITECTURE_SPEC_DECLARATION(identifier) extern const ArchitectureSpec identifier;
WEFT_MODEL_ARCHITECTURES(WEFT_ARCHITECTURE_SPEC_DECLARATION)
#undef WEFT_ARCHITECTURE_SPEC_DECLARATION
}  // namespace arch

// Every architecture, in the table's order.
std::span<const ArchitectureSpec* const> all_architectures();
const ArchitectureSpec& spec_of(Architecture architecture);
// nullptr when `gguf_name` is not an architecture weft runs.
const ArchitectureSpec* find_architecture(std::string_view gguf_name);

std::string_view to_string(Architecture architecture);
std::optional<Architecture> parse_architecture(std::string_view gguf_name);
// The architectures this engine runs, comma-separated, for messages and help texts.
std::string supported_architectures();
// One line on what the engine makes of a file's general.architecture (`weft inspect`):
// "gemma2: runs natively; <differences>" or "mamba: not supported (supported: ...)".
std::string architecture_summary(std::string_view gguf_name);

}  // namespace weft::model
