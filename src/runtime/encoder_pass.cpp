#include "runtime/encoder_pass.hpp"

#include <cmath>

#include "runtime/gated_activation.hpp"
#include "runtime/row_bias.hpp"
#include "tensor/quant_formats.hpp"
#include "tensor/reference/ggml_cpu_numerics.hpp"

namespace weft::runtime {
void EncoderPass::matmul(const tensor::WeightMatrix& w, const float* x, int64_t n_rows,
                         std::vector<float>& out) {
  out.resize(static_cast<size_t>(n_rows * w.rows));
  kernels_.matmul(w, x, n_rows, out.data(), pool_);
}

void EncoderPass::layer_norm_rows(float* rows, const std::vector<float>& weight,
                                  const std::vector<float>& bias, int64_t n_rows) const {
  const int64_t d = config_.n_embd;
  for (int64_t row = 0; row < n_rows; ++row) {
    float* x = rows + row * d;
    double sum = 0;
    for (int64_t c = 0; c < d; ++c) sum += x[c];
    const auto mean = static_cast<float>(sum / static_cast<double>(d));
    double squares = 0;
    for (int64_t c = 0; c < d; ++c) {
      x[c] -= mean;
      squares += static_cast<double>(x[c]) * x[c];
    }
    const auto variance = static_cast<float>(squares / static_cast<double>(d));
    const float scale = 1.0f / std::sqrt(variance + config_.norm_eps);
    for (int64_t c = 0; c < d; ++c) x[c] = x[c] * scale * weight[c] + bias[c];
  }
}

std::vector<float> EncoderPass::run(std::span<const std::span<const int32_t>> inputs) {
  segments_.clear();
  row_segments_.clear();
  for (const auto& input : inputs) {
    const auto length = static_cast<int64_t>(input.size());
    segments_.push_back({static_cast<int64_t>(row_segments_.size()), length});
    row_segments_.insert(row_segments_.end(), static_cast<size_t>(length), segments_.size() - 1);
  }
  const auto n_rows = static_cast<int64_t>(row_segments_.size());
  embed(inputs);
  for (int64_t layer = 0; layer < config_.n_layer; ++layer) {
    attention_block(n_rows, layer);
    feed_forward_block(n_rows, layer);
  }
  return hidden_;
}

void EncoderPass::embed(std::span<const std::span<const int32_t>> inputs) {
  const auto& weights = model_.weights();
  const int64_t d = config_.n_embd;
  hidden_.resize(row_segments_.size() * static_cast<size_t>(d));
  std::vector<float> position(static_cast<size_t>(d));
  size_t row = 0;
  for (const auto& input : inputs) {
    for (size_t i = 0; i < input.size(); ++i, ++row) {
      float* x = hidden_.data() + row * static_cast<size_t>(d);
      tensor::dequantize_row(weights.token_embedding.type, weights.token_embedding.row(input[i]), x,
                             d);
      if (!weights.token_type_embedding.empty())
        kernels_.add(x, weights.token_type_embedding.data(), d);
      if (!weights.position_embedding.empty()) {
        tensor::dequantize_row(weights.position_embedding.type,
                               weights.position_embedding.row(static_cast<int64_t>(i)),
                               position.data(), d);
        kernels_.add(x, position.data(), d);
      }
    }
  }
  layer_norm_rows(hidden_.data(), weights.embedding_norm, weights.embedding_norm_bias,
                  static_cast<int64_t>(row));
}

void EncoderPass::attention_block(int64_t n_rows, int64_t layer) {
  const auto& weights = model_.weights();
  const auto& w = weights.layers[static_cast<size_t>(layer)];
  const int64_t d = config_.n_embd;
  matmul(w.wq, hidden_.data(), n_rows, q_);
  matmul(w.wk, hidden_.data(), n_rows, k_);
  matmul(w.wv, hidden_.data(), n_rows, v_);
  add_bias_to_rows(kernels_, q_, w.bq, n_rows);
  add_bias_to_rows(kernels_, k_, w.bk, n_rows);
  add_bias_to_rows(kernels_, v_, w.bv, n_rows);
  if (weights.position_embedding.empty()) {  // nomic-bert: positions by rope
    const double* frequencies = weights.rope_frequencies(false).data();
    const tensor::RopeShape q_rope{config_.n_head, config_.head_dim, config_.n_rot,
                                   config_.rope_mode, frequencies};
    const tensor::RopeShape k_rope{config_.n_head_kv, config_.head_dim, config_.n_rot,
                                   config_.rope_mode, frequencies};
    for (int64_t i = 0; i < n_rows; ++i) {
      const int64_t position = i - segments_[row_segments_[static_cast<size_t>(i)]].begin;
      kernels_.rope(q_.data() + i * config_.q_dim(), q_rope, position);
      kernels_.rope(k_.data() + i * config_.kv_dim(), k_rope, position);
    }
  }
  attend(n_rows);
  matmul(w.wo, attention_.data(), n_rows, projected_);
  add_bias_to_rows(kernels_, projected_, w.bo, n_rows);
  kernels_.add(hidden_.data(), projected_.data(), n_rows * d);
  layer_norm_rows(hidden_.data(), w.post_attention_norm, w.post_attention_norm_bias, n_rows);
}

void EncoderPass::attend(int64_t n_rows) {
  const int64_t head_dim = config_.head_dim;
  const int64_t group = config_.n_head / config_.n_head_kv;
  const int64_t q_dim = config_.q_dim();
  const int64_t kv_dim = config_.kv_dim();
  attention_.assign(static_cast<size_t>(n_rows * q_dim), 0.0f);
  // One task per (row, head): its scores over every row of its input, none hidden.
  pool_.parallel_for(n_rows * config_.n_head, [&](int64_t begin, int64_t end, unsigned) {
    std::vector<float> scores;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t row = task / config_.n_head;
      const int64_t head = task % config_.n_head;
      const int64_t kv_head = head / group;
      const Segment& input = segments_[row_segments_[static_cast<size_t>(row)]];
      scores.resize(static_cast<size_t>(input.length));
      const float* query = q_.data() + row * q_dim + head * head_dim;
      const float* keys = k_.data() + input.begin * kv_dim + kv_head * head_dim;
      const float* values = v_.data() + input.begin * kv_dim + kv_head * head_dim;
      for (int64_t j = 0; j < input.length; ++j) {
        scores[static_cast<size_t>(j)] =
            kernels_.dot(query, keys + j * kv_dim, head_dim) * config_.attention_scale;
      }
      kernels_.softmax(scores.data(), input.length);
      float* out = attention_.data() + row * q_dim + head * head_dim;
      for (int64_t j = 0; j < input.length; ++j)
        kernels_.axpy(scores[static_cast<size_t>(j)], values + j * kv_dim, out, head_dim);
    }
  });
}

void EncoderPass::feed_forward_block(int64_t n_rows, int64_t layer) {
  const auto& w = model_.weights().layers[static_cast<size_t>(layer)];
  const int64_t d = config_.n_embd;
  matmul(w.up, hidden_.data(), n_rows, up_);
  add_bias_to_rows(kernels_, up_, w.up_bias, n_rows);
  activated_.resize(up_.size());
  if (w.gate.empty()) {  // bert: the activation of up alone
    if (config_.activation == model::GatedActivation::gelu_tanh) {
      // GGML's table GELU whatever the kernels: the exact one moves bert's vectors 5e-8 (1 −
      // cosine) from llama.cpp's in F32, and 1e-5 in Q8_0, where the next product rounds its
      // input to 8 bits.
      for (size_t i = 0; i < up_.size(); ++i) activated_[i] = tensor::ggml_cpu::table_gelu(up_[i]);
    } else {
      const int64_t width = w.up.rows;
      ones_.assign(static_cast<size_t>(width), 1.0f);
      for (int64_t row = 0; row < n_rows; ++row) {
        kernels_.silu_mul(up_.data() + row * width, ones_.data(), width,
                          activated_.data() + row * width);
      }
    }
  } else {
    matmul(w.gate, hidden_.data(), n_rows, gate_);
    activate_gated_rows(kernels_, pool_, config_.activation, gate_.data(), up_.data(), n_rows,
                        w.up.rows, activated_.data());
  }
  matmul(w.down, activated_.data(), n_rows, projected_);
  add_bias_to_rows(kernels_, projected_, w.down_bias, n_rows);
  kernels_.add(hidden_.data(), projected_.data(), n_rows * d);
  layer_norm_rows(hidden_.data(), w.post_ffn_norm, w.post_ffn_norm_bias, n_rows);
}

}  // namespace weft::runtime
