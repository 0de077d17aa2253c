#include "runtime/forward_pass.hpp"

#include <algorithm>

#include "kv/kv_sequence.hpp"
#include "runtime/gated_activation.hpp"
#include "runtime/row_bias.hpp"
#include "tensor/quant_formats.hpp"

namespace weft::runtime {
namespace {

float* row_of(std::vector<float>& matrix, int64_t row, int64_t width) {
  return matrix.data() + row * width;
}

}  // namespace

void ForwardPass::matmul(const tensor::WeightMatrix& w, const float* x, int64_t n_rows,
                         std::vector<float>& out) {
  out.resize(static_cast<size_t>(n_rows * w.rows));
  kernels_.matmul(w, x, n_rows, out.data(), pool_);
}

void ForwardPass::norm_rows(const float* in, const std::vector<float>& weight, int64_t n_rows,
                            int64_t width, float* out) const {
  tensor::parallel_for_from(pool_, kMinRowsToSplit, n_rows,
                            [&](int64_t begin, int64_t end, unsigned) {
                              for (int64_t row = begin; row < end; ++row)
                                kernels_.rms_norm(in + row * width, weight.data(), width,
                                                  config_.norm_eps, out + row * width);
                            });
}

void ForwardPass::add_to_residual(const std::vector<float>& rows, int64_t n_rows) {
  const int64_t d = config_.n_embd;
  tensor::parallel_for_from(
      pool_, kMinRowsToSplit, n_rows, [&](int64_t begin, int64_t end, unsigned) {
        kernels_.add(residual_.data() + begin * d, rows.data() + begin * d, (end - begin) * d);
      });
}

void ForwardPass::run(std::span<const ForwardRow> rows, ForwardOutputs& outputs) {
  const auto n_rows = static_cast<int64_t>(rows.size());
  attention_rows_.clear();
  for (const auto& row : rows)
    attention_rows_.push_back({row.sequence, row.position, row.attention_mask});
  embed(rows);
  // Only the rows that ask for something go through the last feed-forward block, the output
  // norm and the vocabulary (as llama.cpp does): the others' last layer serves nobody once
  // their keys and values are stored.
  std::vector<int64_t> selected;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].want_logits || rows[i].want_hidden) selected.push_back(static_cast<int64_t>(i));
  }
  for (int64_t layer = 0; layer < config_.n_layer; ++layer) {
    attention_block(rows, layer);
    if (layer + 1 < config_.n_layer) {
      feed_forward_block(n_rows, layer);
      continue;
    }
    const int64_t d = config_.n_embd;
    for (size_t s = 0; s < selected.size(); ++s) {
      std::copy_n(residual_.begin() + selected[s] * d, d,
                  residual_.begin() + static_cast<int64_t>(s) * d);
    }
    feed_forward_block(static_cast<int64_t>(selected.size()), layer);
  }
  output_head(rows, selected, outputs);
}

void ForwardPass::embed(std::span<const ForwardRow> rows) {
  const auto& embedding = model_.weights().token_embedding;
  const int64_t d = config_.n_embd;
  residual_.resize(rows.size() * static_cast<size_t>(d));
  for (size_t i = 0; i < rows.size(); ++i) {
    float* x = residual_.data() + i * static_cast<size_t>(d);
    tensor::dequantize_row(embedding.type, embedding.row(rows[i].token), x, d);
    if (config_.embedding_scale != 1.0f) {
      for (int64_t c = 0; c < d; ++c) x[c] *= config_.embedding_scale;
    }
  }
}

void ForwardPass::attention_block(std::span<const ForwardRow> rows, int64_t layer) {
  const auto& w = model_.weights().layers[static_cast<size_t>(layer)];
  const auto n_rows = static_cast<int64_t>(rows.size());
  const int64_t d = config_.n_embd;
  const int64_t head_dim = config_.head_dim;
  normed_.resize(residual_.size());
  norm_rows(residual_.data(), w.attn_norm, n_rows, d, normed_.data());
  matmul(w.wq, normed_.data(), n_rows, q_);
  matmul(w.wk, normed_.data(), n_rows, k_);
  matmul(w.wv, normed_.data(), n_rows, v_);
  add_bias_to_rows(kernels_, q_, w.bq, n_rows);
  add_bias_to_rows(kernels_, k_, w.bk, n_rows);
  add_bias_to_rows(kernels_, v_, w.bv, n_rows);
  if (!w.q_norm.empty()) {
    norm_rows(q_.data(), w.q_norm, n_rows * config_.n_head, head_dim, q_.data());
    norm_rows(k_.data(), w.k_norm, n_rows * config_.n_head_kv, head_dim, k_.data());
  }
  // Sliding-window layers may rope with their own base (gemma3).
  const bool sliding = config_.layer_is_sliding[static_cast<size_t>(layer)];
  const double* frequencies = model_.weights().rope_frequencies(sliding).data();
  // YaRN scales every layer that ropes with the model's base (a sliding base is unscaled).
  const tensor::RopeYarn yarn{config_.rope_yarn_frequency_scale, config_.rope_yarn_magnitude,
                              config_.rope_yarn_ramp.data()};
  const bool own_base = sliding && config_.sliding_rope_base > 0;
  const tensor::RopeYarn* scaling = config_.rope_yarn_ramp.empty() || own_base ? nullptr : &yarn;
  const tensor::RopeShape q_rope{config_.n_head,    head_dim,    config_.n_rot,
                                 config_.rope_mode, frequencies, scaling};
  const tensor::RopeShape k_rope{config_.n_head_kv, head_dim,    config_.n_rot,
                                 config_.rope_mode, frequencies, scaling};
  // Each row writes its own cache slot; a store's error (a shared page) reaches the caller.
  tensor::parallel_for_from(
      pool_, kMinRowsToSplit, n_rows, [&](int64_t begin, int64_t end, unsigned) {
        for (int64_t i = begin; i < end; ++i) {
          const auto& row = rows[static_cast<size_t>(i)];
          kernels_.rope(row_of(q_, i, config_.q_dim()), q_rope, row.position);
          kernels_.rope(row_of(k_, i, config_.kv_dim()), k_rope, row.position);
          kv::KvSequence& sequence = *row.sequence;
          sequence.pool().store(sequence.page_of(row.position), layer,
                                sequence.slot_in_page(row.position),
                                row_of(k_, i, config_.kv_dim()), row_of(v_, i, config_.kv_dim()));
        }
      });

  const AttentionShape shape{
      config_.n_head,
      config_.n_head_kv,
      head_dim,
      config_.attention_scale,
      config_.attention_softcap,
      config_.layer_is_sliding[static_cast<size_t>(layer)] ? config_.sliding_window : 0,
      w.attention_sinks.empty() ? nullptr : w.attention_sinks.data()};
  attention_.resize(static_cast<size_t>(n_rows * config_.q_dim()));
  paged_attention(kernels_, pool_, shape, layer, attention_rows_, q_.data(), attention_.data());
  matmul(w.wo, attention_.data(), n_rows, projected_);
  add_bias_to_rows(kernels_, projected_, w.bo, n_rows);
  if (!w.post_attention_norm.empty())
    norm_rows(projected_.data(), w.post_attention_norm, n_rows, d, projected_.data());
  add_to_residual(projected_, n_rows);
}

void ForwardPass::feed_forward_block(int64_t n_rows, int64_t layer) {
  const auto& w = model_.weights().layers[static_cast<size_t>(layer)];
  const int64_t d = config_.n_embd;
  norm_rows(residual_.data(), w.ffn_norm, n_rows, d, normed_.data());
  if (w.router.empty()) {
    gated_feed_forward(w, n_rows);
  } else {
    projected_.resize(static_cast<size_t>(n_rows * d));
    experts_.run(w, normed_.data(), n_rows, projected_.data());
  }
  if (!w.post_ffn_norm.empty())
    norm_rows(projected_.data(), w.post_ffn_norm, n_rows, d, projected_.data());
  add_to_residual(projected_, n_rows);
}

void ForwardPass::gated_feed_forward(const model::LayerWeights& w, int64_t n_rows) {
  matmul(w.gate, normed_.data(), n_rows, gate_);
  matmul(w.up, normed_.data(), n_rows, up_);
  activated_.resize(gate_.size());
  activate_gated_rows(kernels_, pool_, config_.activation, gate_.data(), up_.data(), n_rows,
                      w.gate.rows, activated_.data());
  matmul(w.down, activated_.data(), n_rows, projected_);
}

void ForwardPass::output_head(std::span<const ForwardRow> rows, std::span<const int64_t> selected,
                              ForwardOutputs& outputs) {
  const int64_t d = config_.n_embd;
  outputs.n_vocab = config_.n_vocab;
  outputs.n_embd = d;
  outputs.logit_rows.clear();
  outputs.hidden_rows.clear();
  outputs.hidden.clear();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].want_logits) outputs.logit_rows.push_back(static_cast<int64_t>(i));
  }
  // residual_ holds the selected rows only, in order.
  normed_.resize(selected.size() * static_cast<size_t>(d));
  for (size_t s = 0; s < selected.size(); ++s) {
    kernels_.rms_norm(row_of(residual_, static_cast<int64_t>(s), d),
                      model_.weights().output_norm.data(), d, config_.norm_eps,
                      normed_.data() + s * static_cast<size_t>(d));
    if (rows[static_cast<size_t>(selected[s])].want_hidden) {
      outputs.hidden_rows.push_back(selected[s]);
      outputs.hidden.insert(outputs.hidden.end(), normed_.begin() + static_cast<int64_t>(s) * d,
                            normed_.begin() + static_cast<int64_t>(s + 1) * d);
    }
  }
  // Rows wanting logits are compacted so the output matrix runs over them only.
  std::vector<float> logit_inputs;
  logit_inputs.reserve(outputs.logit_rows.size() * static_cast<size_t>(d));
  for (size_t s = 0; s < selected.size(); ++s) {
    if (!rows[static_cast<size_t>(selected[s])].want_logits) continue;
    logit_inputs.insert(logit_inputs.end(), normed_.begin() + static_cast<int64_t>(s) * d,
                        normed_.begin() + static_cast<int64_t>(s + 1) * d);
  }
  const auto n_logit_rows = static_cast<int64_t>(outputs.logit_rows.size());
  outputs.logits.resize(static_cast<size_t>(n_logit_rows * config_.n_vocab));
  if (n_logit_rows == 0) return;
  kernels_.matmul(model_.weights().output, logit_inputs.data(), n_logit_rows, outputs.logits.data(),
                  pool_);
  if (config_.final_softcap > 0) {
    kernels_.soft_cap(outputs.logits.data(), static_cast<int64_t>(outputs.logits.size()),
                      config_.final_softcap);
  }
}

}  // namespace weft::runtime
