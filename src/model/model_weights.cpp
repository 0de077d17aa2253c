#include "model/model_weights.hpp"

#include <cmath>
#include <string>

#include "gguf/gguf_file.hpp"
#include "model/arch/tensor_binder.hpp"
#include "weft/error.hpp"

namespace weft::model {
namespace {

// `base` and `frequency_scale`: the config's, or the sliding-window layers' own.
std::vector<double> rope_inverse_frequencies(const TensorBinder& binder, const ModelConfig& config,
                                             double base, double frequency_scale) {
  const int64_t half = config.n_rot / 2;
  std::vector<double> inverse(static_cast<size_t>(half));
  std::vector<float> factors = binder.optional_vector("rope_freqs.weight", half);
  for (int64_t i = 0; i < half; ++i) {
    double value =
        std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(config.n_rot));
    value *= frequency_scale;
    if (!factors.empty()) {
      const float factor = factors[static_cast<size_t>(i)];
      if (!(factor > 0) || !std::isfinite(factor)) {
        throw Error(binder.where() + "tensor 'rope_freqs.weight' has a non-positive factor at " +
                    std::to_string(i));
      }
      value /= factor;
    }
    inverse[static_cast<size_t>(i)] = value;
  }
  return inverse;
}

}  // namespace

ModelWeights bind_model_weights(const gguf::GgufFile& file, ModelConfig& config) {
  const TensorBinder binder(file);
  const auto bind_layer = spec_of(config.architecture).bind_layer;
  ModelWeights weights;
  const auto& embedding = binder.require("token_embd.weight");
  if (embedding.shape.size() != 2 || embedding.shape[1] == 0 ||
      embedding.shape[1] > (uint64_t{1} << 31)) {
    throw Error(binder.where() + "tensor 'token_embd.weight' has shape " +
                shape_text(embedding.shape) + ", expected [" + std::to_string(config.n_embd) +
                ", n_vocab]");
  }
  config.n_vocab = static_cast<int64_t>(embedding.shape[1]);
  weights.token_embedding = binder.to_matrix(embedding, config.n_embd, config.n_vocab);
  weights.layers.reserve(static_cast<size_t>(config.n_layer));
  for (int64_t layer = 0; layer < config.n_layer; ++layer)
    weights.layers.push_back(bind_layer(binder, config, layer));
  weights.output_norm = binder.vector("output_norm.weight", config.n_embd);
  if (const auto* output = binder.find("output.weight")) {
    weights.output = binder.to_matrix(*output, config.n_embd, config.n_vocab);
  } else {
    weights.output = weights.token_embedding;
    weights.tied_output = true;
  }
  weights.rope_inverse_frequencies =
      rope_inverse_frequencies(binder, config, config.rope_base, config.rope_frequency_scale);
  if (config.sliding_rope_base > 0) {
    weights.sliding_rope_inverse_frequencies =
        rope_inverse_frequencies(binder, config, config.sliding_rope_base, 1.0);
  }
  return weights;
}

}  // namespace weft::model
