#include "model/model_config.hpp"

#include <algorithm>
#include <cmath>

#include "gguf/gguf_file.hpp"
#include "model/arch/hyperparameter_reader.hpp"
#include "weft/error.hpp"

namespace weft::model {
namespace {

// llama.cpp's defaults for YaRN, which no converter writes: the full extrapolation of the
// dimensions turning at least beta_fast times over the original context, the full
// interpolation of those turning at most beta_slow times.
constexpr float kYarnBetaFast = 32.0f;
constexpr float kYarnBetaSlow = 1.0f;

// The dimension (of n_rot) whose pair turns `turns` times over `original_context` positions.
float yarn_correction_dimension(int64_t n_rot, int64_t original_context, float turns, float base) {
  constexpr auto kTwoPi = static_cast<float>(2.0 * 3.14159265358979323846);
  return static_cast<float>(n_rot) *
         std::log(static_cast<float>(original_context) / (turns * kTwoPi)) / (2 * std::log(base));
}

// YaRN (arXiv 2309.00071) as llama.cpp applies it: each rotated pair's ramp from full
// extrapolation below the fast correction dimension to full interpolation above the slow one,
// and the magnitude 0.1·ln(factor) + 1 of the attention temperature, which llama.cpp cancels
// for the rope and restores once: the product is computed in float as it does.
void read_yarn(const HyperparameterReader& reader, ModelConfig& config) {
  const double factor_value = reader.optional_float("rope.scaling.factor", 1.0);
  if (factor_value <= 0) throw Error(reader.where() + "rope.scaling.factor must be positive");
  const int64_t original_context = reader.optional_count("rope.scaling.original_context_length",
                                                         config.trained_context, int64_t{1} << 24);
  if (reader.optional_float("rope.scaling.yarn_log_multiplier", 0.0) != 0.0) {
    throw Error(reader.where() + "metadata key '" +
                reader.full("rope.scaling.yarn_log_multiplier") + "' is not supported");
  }
  const float frequency_scale = 1.0f / static_cast<float>(factor_value);
  const float factor = 1.0f / frequency_scale;
  const auto attention_factor =
      static_cast<float>(reader.optional_float("rope.scaling.attn_factor", 1.0));
  float magnitude = factor <= 1.0f ? 1.0f : 0.1f * std::log(factor) + 1.0f;
  magnitude *= 1.0f / (1.0f + 0.1f * std::log(factor));
  magnitude *= attention_factor;
  magnitude *= 1.0f + 0.1f * std::log(1.0f / frequency_scale);
  config.rope_yarn_frequency_scale = frequency_scale;
  config.rope_yarn_magnitude = magnitude;

  const auto base = static_cast<float>(config.rope_base);
  const float low = std::max(0.0f, std::floor(yarn_correction_dimension(
                                       config.n_rot, original_context, kYarnBetaFast, base)));
  const float high = std::min(
      static_cast<float>(config.n_rot - 1),
      std::ceil(yarn_correction_dimension(config.n_rot, original_context, kYarnBetaSlow, base)));
  config.rope_yarn_ramp.resize(static_cast<size_t>(config.n_rot / 2));
  for (int64_t i = 0; i < config.n_rot / 2; ++i) {
    const float position = (static_cast<float>(i) - low) / std::max(0.001f, high - low);
    config.rope_yarn_ramp[static_cast<size_t>(i)] = 1 - std::min(1.0f, std::max(0.0f, position));
  }
}

void read_rope(const HyperparameterReader& reader, ModelConfig& config) {
  config.n_rot = reader.optional_count("rope.dimension_count", config.head_dim, config.head_dim);
  if (config.n_rot % 2 != 0) {
    throw Error(reader.where() + "metadata key '" + reader.full("rope.dimension_count") +
                "' = " + std::to_string(config.n_rot) + " is odd");
  }
  config.rope_base = reader.optional_float("rope.freq_base", 10000.0);
  if (config.rope_base <= 0) throw Error(reader.where() + "rope.freq_base must be positive");
  const auto scaling = reader.optional_string("rope.scaling.type").value_or("none");
  if (scaling == "linear") {
    const double factor = reader.optional_float("rope.scaling.factor", 1.0);
    if (factor <= 0) throw Error(reader.where() + "rope.scaling.factor must be positive");
    config.rope_frequency_scale = 1.0 / factor;
  } else if (scaling == "yarn") {
    read_yarn(reader, config);
  } else if (scaling != "none") {
    throw Error(reader.where() + "rope scaling '" + scaling + "' (" +
                reader.full("rope.scaling.type") +
                ") is not supported; supported: none, linear, yarn");
  }
}

}  // namespace

ModelConfig read_model_config(const gguf::GgufFile& file, const ModelLoadOptions& options) {
  ModelConfig config;
  auto name = file.get_string("general.architecture");
  if (!name)
    throw Error("model '" + file.path() + "': missing metadata key 'general.architecture'");
  const ArchitectureSpec* spec = find_architecture(*name);
  if (spec == nullptr) {
    throw Error("model '" + file.path() + "': architecture '" + *name +
                "' is not supported (supported: " + supported_architectures() + ")");
  }
  config.architecture = spec->architecture;
  config.architecture_name = *name;
  config.rope_mode = spec->hooks.rope_mode;
  config.activation = spec->hooks.activation;
  config.encoder = spec->hooks.encoder;
  const HyperparameterReader reader(file, *name);

  config.n_embd = reader.required_count("embedding_length");
  config.n_layer = reader.required_count("block_count", 4096);
  config.n_head = reader.required_count("attention.head_count", 4096);
  config.n_head_kv = reader.optional_count("attention.head_count_kv", config.n_head, config.n_head);
  if (config.n_head % config.n_head_kv != 0) {
    throw Error(reader.where() + "attention.head_count " + std::to_string(config.n_head) +
                " is not a multiple of attention.head_count_kv " +
                std::to_string(config.n_head_kv));
  }
  config.head_dim = reader.optional_count("attention.key_length", config.n_embd / config.n_head);
  const int64_t value_length = reader.optional_count("attention.value_length", config.head_dim);
  if (value_length != config.head_dim) {
    throw Error(reader.where() + "attention.value_length " + std::to_string(value_length) +
                " differs from attention.key_length " + std::to_string(config.head_dim) +
                " (not supported)");
  }
  config.n_ff = reader.required_count("feed_forward_length");
  config.trained_context = reader.required_count("context_length", int64_t{1} << 24);
  config.context_length = options.context_length.value_or(config.trained_context);
  if (config.context_length <= 0 || config.context_length > (int64_t{1} << 24)) {
    throw Error(reader.where() + "context length " + std::to_string(config.context_length) +
                " is out of range");
  }
  config.norm_eps =
      static_cast<float>(reader.optional_float("attention.layer_norm_rms_epsilon", 1e-5));
  config.attention_scale =
      static_cast<float>(1.0 / std::sqrt(static_cast<double>(config.head_dim)));
  config.layer_is_sliding.assign(static_cast<size_t>(config.n_layer), false);
  read_rope(reader, config);
  if (spec->read_hyperparameters) spec->read_hyperparameters(reader, config);
  return config;
}

}  // namespace weft::model
