#include "model/model_config.hpp"

#include <cmath>

#include "gguf/gguf_file.hpp"
#include "model/arch/hyperparameter_reader.hpp"
#include "weft/error.hpp"

namespace weft::model {
namespace {

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
  } else if (scaling != "none") {
    throw Error(reader.where() + "rope scaling '" + scaling + "' (" +
                reader.full("rope.scaling.type") + ") is not supported; supported: none, linear");
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
