#include "model/model_weights.hpp"

#include <cmath>
#include <string>

#include "gguf/gguf_file.hpp"
#include "model/arch/tensor_binder.hpp"
#include "tensor/quant_formats.hpp"
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

// The output norm and the output matrix: output.weight, or the token embedding when tied.
void bind_output_head(const TensorBinder& binder, const ModelConfig& config,
                      ModelWeights& weights) {
  weights.output_norm = binder.vector("output_norm.weight", config.n_embd);
  if (const auto* output = binder.find("output.weight")) {
    weights.output = binder.to_matrix(*output, config.n_embd, config.n_vocab);
  } else {
    weights.output = weights.token_embedding;
    weights.tied_output = true;
  }
}

// An encoder's inputs beyond the token embedding, and no output head (its final hidden states
// are what embeddings pool). The output is left the token embedding, as for a tied model, so
// that the code that packs or describes matrices finds one; nothing computes with it.
void bind_encoder_inputs(const TensorBinder& binder, const ModelConfig& config,
                         ModelWeights& weights) {
  const int64_t d = config.n_embd;
  weights.embedding_norm = binder.vector("token_embd_norm.weight", d);
  weights.embedding_norm_bias = binder.vector("token_embd_norm.bias", d);
  if (const auto* types = binder.find("token_types.weight")) {
    if (types->shape.size() != 2 || types->shape[1] == 0 || types->shape[1] > 1024) {
      throw Error(binder.where() + "tensor 'token_types.weight' has shape " +
                  shape_text(types->shape) + ", expected [" + std::to_string(d) + ", n_types]");
    }
    const auto matrix = binder.to_matrix(*types, d, static_cast<int64_t>(types->shape[1]));
    // Every token is of type 0 (one sentence), as llama.cpp feeds them.
    weights.token_type_embedding.resize(static_cast<size_t>(d));
    tensor::dequantize_row(matrix.type, matrix.row(0), weights.token_type_embedding.data(), d);
  }
  if (const auto* positions = binder.find("position_embd.weight")) {
    weights.position_embedding = binder.to_matrix(*positions, d, config.trained_context);
  }
  weights.output = weights.token_embedding;
  weights.tied_output = true;
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
  if (config.encoder) {
    bind_encoder_inputs(binder, config, weights);
  } else {
    bind_output_head(binder, config, weights);
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
