#include "model/model_weights.hpp"

#include <cmath>
#include <string>

#include "gguf/gguf_file.hpp"
#include "tensor/quant_formats.hpp"
#include "weft/error.hpp"

namespace weft::model {
namespace {

std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

class TensorBinder {
 public:
  explicit TensorBinder(const gguf::GgufFile& file) : file_(file) {}

  const gguf::TensorView* find(const std::string& name) const { return file_.find_tensor(name); }

  const gguf::TensorView& require(const std::string& name) const {
    const auto* view = find(name);
    if (!view) throw Error(where() + "tensor '" + name + "' is missing");
    return *view;
  }

  tensor::WeightMatrix matrix(const std::string& name, int64_t cols, int64_t rows) const {
    return to_matrix(require(name), cols, rows);
  }

  tensor::WeightMatrix to_matrix(const gguf::TensorView& view, int64_t cols, int64_t rows) const {
    expect_shape(view, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)});
    const auto traits = tensor::traits_of(view.type);
    if (cols % traits.block_size != 0) {
      throw Error(where() + "tensor '" + view.name + "' rows of " + std::to_string(cols) +
                  " values are not whole blocks of " + std::string(traits.name));
    }
    const uint64_t row_bytes = static_cast<uint64_t>(cols) / traits.block_size * traits.block_bytes;
    return {view.type, rows, cols, row_bytes, view.data};
  }

  std::vector<float> vector(const std::string& name, int64_t length) const {
    return to_vector(require(name), length);
  }

  std::vector<float> optional_vector(const std::string& name, int64_t length) const {
    const auto* view = find(name);
    return view ? to_vector(*view, length) : std::vector<float>{};
  }

  std::string where() const { return "model '" + file_.path() + "': "; }

 private:
  std::vector<float> to_vector(const gguf::TensorView& view, int64_t length) const {
    expect_shape(view, {static_cast<uint64_t>(length)});
    if (!tensor::bytes_for(view.type, static_cast<uint64_t>(length))) {
      throw Error(where() + "tensor '" + view.name + "' of " + std::to_string(length) +
                  " values is not whole blocks of " +
                  std::string(tensor::traits_of(view.type).name));
    }
    std::vector<float> values(static_cast<size_t>(length));
    tensor::dequantize_row(view.type, view.data, values.data(), length);
    return values;
  }

  void expect_shape(const gguf::TensorView& view, const std::vector<uint64_t>& expected) const {
    if (view.shape != expected) {
      throw Error(where() + "tensor '" + view.name + "' has shape " + shape_text(view.shape) +
                  ", expected " + shape_text(expected));
    }
  }

  const gguf::GgufFile& file_;
};

std::string layer_tensor(int64_t layer, const char* role) {
  return "blk." + std::to_string(layer) + "." + role + ".weight";
}

std::string layer_bias(int64_t layer, const char* role) {
  return "blk." + std::to_string(layer) + "." + role + ".bias";
}

void bind_attention(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                    LayerWeights& weights) {
  const int64_t d = config.n_embd;
  if (const auto* fused = binder.find(layer_tensor(layer, "attn_qkv"))) {
    const auto qkv = binder.to_matrix(*fused, d, config.q_dim() + 2 * config.kv_dim());
    weights.wq = qkv.slice_rows(0, config.q_dim());
    weights.wk = qkv.slice_rows(config.q_dim(), config.kv_dim());
    weights.wv = qkv.slice_rows(config.q_dim() + config.kv_dim(), config.kv_dim());
  } else {
    weights.wq = binder.matrix(layer_tensor(layer, "attn_q"), d, config.q_dim());
    weights.wk = binder.matrix(layer_tensor(layer, "attn_k"), d, config.kv_dim());
    weights.wv = binder.matrix(layer_tensor(layer, "attn_v"), d, config.kv_dim());
  }
  weights.wo = binder.matrix(layer_tensor(layer, "attn_output"), config.q_dim(), d);
  weights.bq = binder.optional_vector(layer_bias(layer, "attn_q"), config.q_dim());
  weights.bk = binder.optional_vector(layer_bias(layer, "attn_k"), config.kv_dim());
  weights.bv = binder.optional_vector(layer_bias(layer, "attn_v"), config.kv_dim());
  if (config.architecture == Architecture::qwen2) {
    // qwen2 needs all three biases: name the first one that is absent.
    for (const char* role : {"attn_q", "attn_k", "attn_v"}) binder.require(layer_bias(layer, role));
  }
  if (config.architecture == Architecture::qwen3) {
    weights.q_norm = binder.vector(layer_tensor(layer, "attn_q_norm"), config.head_dim);
    weights.k_norm = binder.vector(layer_tensor(layer, "attn_k_norm"), config.head_dim);
  }
}

void bind_feed_forward(const TensorBinder& binder, const ModelConfig& config, int64_t layer,
                       LayerWeights& weights) {
  const int64_t d = config.n_embd;
  if (config.architecture == Architecture::phi3) {
    // phi3 fuses gate and up into one ffn_up: the first n_ff rows are the gate.
    const auto fused = binder.matrix(layer_tensor(layer, "ffn_up"), d, 2 * config.n_ff);
    weights.gate = fused.slice_rows(0, config.n_ff);
    weights.up = fused.slice_rows(config.n_ff, config.n_ff);
  } else {
    weights.gate = binder.matrix(layer_tensor(layer, "ffn_gate"), d, config.n_ff);
    weights.up = binder.matrix(layer_tensor(layer, "ffn_up"), d, config.n_ff);
  }
  weights.down = binder.matrix(layer_tensor(layer, "ffn_down"), config.n_ff, d);
}

LayerWeights bind_layer(const TensorBinder& binder, const ModelConfig& config, int64_t layer) {
  LayerWeights weights;
  weights.attn_norm = binder.vector(layer_tensor(layer, "attn_norm"), config.n_embd);
  bind_attention(binder, config, layer, weights);
  weights.ffn_norm = binder.vector(layer_tensor(layer, "ffn_norm"), config.n_embd);
  bind_feed_forward(binder, config, layer, weights);
  if (config.architecture == Architecture::gemma2) {
    weights.post_attention_norm =
        binder.vector(layer_tensor(layer, "post_attention_norm"), config.n_embd);
    weights.post_ffn_norm = binder.vector(layer_tensor(layer, "post_ffw_norm"), config.n_embd);
  }
  return weights;
}

std::vector<double> rope_inverse_frequencies(const TensorBinder& binder,
                                             const ModelConfig& config) {
  const int64_t half = config.n_rot / 2;
  std::vector<double> inverse(static_cast<size_t>(half));
  std::vector<float> factors = binder.optional_vector("rope_freqs.weight", half);
  for (int64_t i = 0; i < half; ++i) {
    double value = std::pow(config.rope_base,
                            -2.0 * static_cast<double>(i) / static_cast<double>(config.n_rot));
    value *= config.rope_frequency_scale;
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
  weights.rope_inverse_frequencies = rope_inverse_frequencies(binder, config);
  return weights;
}

}  // namespace weft::model
