#include "model/model_config.hpp"

#include <cmath>

#include "gguf/gguf_file.hpp"
#include "weft/error.hpp"

namespace weft::model {
namespace {

std::optional<Architecture> parse_architecture(std::string_view name) {
  if (name == "llama") return Architecture::llama;
  if (name == "qwen2") return Architecture::qwen2;
  if (name == "qwen3") return Architecture::qwen3;
  if (name == "phi3") return Architecture::phi3;
  if (name == "gemma2") return Architecture::gemma2;
  return std::nullopt;
}

class ConfigReader {
 public:
  ConfigReader(const gguf::GgufFile& file, std::string prefix)
      : file_(file), prefix_(std::move(prefix)) {}

  int64_t required_count(std::string_view key, int64_t max = int64_t{1} << 31) const {
    auto value = file_.get_uint(full(key));
    if (!value) throw Error(where() + "missing metadata key '" + full(key) + "'");
    return checked(key, *value, max);
  }

  int64_t optional_count(std::string_view key, int64_t fallback,
                         int64_t max = int64_t{1} << 31) const {
    auto value = file_.get_uint(full(key));
    return value ? checked(key, *value, max) : fallback;
  }

  double optional_float(std::string_view key, double fallback) const {
    auto value = file_.get_float(full(key));
    if (value && !std::isfinite(*value)) {
      throw Error(where() + "metadata key '" + full(key) + "' is not a finite number");
    }
    return value.value_or(fallback);
  }

  std::optional<std::string> optional_string(std::string_view key) const {
    return file_.get_string(full(key));
  }

  std::string where() const { return "model '" + file_.path() + "': "; }
  std::string full(std::string_view key) const { return prefix_ + "." + std::string(key); }

 private:
  int64_t checked(std::string_view key, uint64_t value, int64_t max) const {
    if (value == 0 || value > static_cast<uint64_t>(max)) {
      throw Error(where() + "metadata key '" + full(key) + "' = " + std::to_string(value) +
                  " is out of range (1.." + std::to_string(max) + ")");
    }
    return static_cast<int64_t>(value);
  }

  const gguf::GgufFile& file_;
  std::string prefix_;
};

void read_rope(const ConfigReader& reader, ModelConfig& config) {
  config.rope_mode = config.architecture == Architecture::llama ? tensor::RopeMode::normal
                                                                : tensor::RopeMode::neox;
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

void read_gemma2(const ConfigReader& reader, ModelConfig& config) {
  config.embedding_scale = static_cast<float>(std::sqrt(static_cast<double>(config.n_embd)));
  config.attention_softcap =
      static_cast<float>(reader.optional_float("attn_logit_softcapping", 0.0));
  config.final_softcap = static_cast<float>(reader.optional_float("final_logit_softcapping", 0.0));
  config.sliding_window = reader.optional_count("attention.sliding_window", 0, int64_t{1} << 40);
  // Gemma 2 alternates: even layers use the sliding window, odd layers attend globally.
  for (int64_t layer = 0; layer < config.n_layer; ++layer) {
    config.layer_is_sliding[static_cast<size_t>(layer)] =
        config.sliding_window > 0 && layer % 2 == 0;
  }
}

}  // namespace

std::string_view to_string(Architecture architecture) {
  switch (architecture) {
    case Architecture::llama:
      return "llama";
    case Architecture::qwen2:
      return "qwen2";
    case Architecture::qwen3:
      return "qwen3";
    case Architecture::phi3:
      return "phi3";
    case Architecture::gemma2:
      return "gemma2";
  }
  return "?";
}

std::string_view supported_architectures() {
  return "llama, qwen2, qwen3, phi3, gemma2";
}

ModelConfig read_model_config(const gguf::GgufFile& file, const ModelLoadOptions& options) {
  ModelConfig config;
  auto name = file.get_string("general.architecture");
  if (!name)
    throw Error("model '" + file.path() + "': missing metadata key 'general.architecture'");
  auto architecture = parse_architecture(*name);
  if (!architecture) {
    throw Error("model '" + file.path() + "': architecture '" + *name +
                "' is not supported (supported: " + std::string(supported_architectures()) + ")");
  }
  config.architecture = *architecture;
  config.architecture_name = *name;
  const ConfigReader reader(file, *name);

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
  if (config.architecture == Architecture::gemma2) read_gemma2(reader, config);
  return config;
}

}  // namespace weft::model
