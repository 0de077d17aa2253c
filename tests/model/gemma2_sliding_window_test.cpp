// Gemma 2's sliding-window attention in a whole forward pass. The fixture's window (4096) is
// wider than its context, so the fixture references never exercise it; here the gemma2 F32
// fixture gets `gemma2.attention.sliding_window` = 4 and a 12-token prompt. What this proves:
//
// * the engine applies the window to the right layers (even ones: layer 0 of 2, as llama.cpp
//   and Hugging Face's Gemma2 do) with the right boundary (key j is visible from position p
//   when p - j < window): its logits match a float64 forward pass written here from the
//   formulas of the fixtures README (§2) with that explicit mask, within 1e-4;
// * that float64 pass is itself right: without the window it reproduces the fixture's
//   independent float64 reference logits (`.exact.logits.f32`) within 1e-5;
// * the window changes only what it should: rows at positions < window are bit-identical to
//   the unpatched model's, and every later row differs (by 2 to 6 here).
// Both with the reference and the fast kernels, F32 cache. No llama.cpp output with a window
// exists here, so the layer choice and boundary rest on the float64 pass's reading of them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

constexpr int64_t kWindow = 4;
constexpr size_t kPromptLength = 12;

using ReferenceVector = std::vector<double>;

// The gemma2 fixture's F32 weights and hyper-parameters, read straight from the file.
class Gemma2Reference {
 public:
  explicit Gemma2Reference(const gguf::GgufFile& file) : file_(file) {
    dim_ = static_cast<size_t>(*file.get_uint("gemma2.embedding_length"));
    layers_ = static_cast<size_t>(*file.get_uint("gemma2.block_count"));
    heads_ = static_cast<size_t>(*file.get_uint("gemma2.attention.head_count"));
    kv_heads_ = static_cast<size_t>(*file.get_uint("gemma2.attention.head_count_kv"));
    head_dim_ = static_cast<size_t>(*file.get_uint("gemma2.attention.key_length"));
    eps_ = *file.get_float("gemma2.attention.layer_norm_rms_epsilon");
    rope_base_ = *file.get_float("gemma2.rope.freq_base");
    attention_cap_ = *file.get_float("gemma2.attn_logit_softcapping");
    final_cap_ = *file.get_float("gemma2.final_logit_softcapping");
  }

  // Logits of every position, with keys further than `window` positions back hidden from the
  // even layers (window 0: none hidden).
  std::vector<ReferenceVector> forward(std::span<const int32_t> tokens, int64_t window) const {
    const size_t n = tokens.size();
    const auto embedding = weights("token_embd.weight");
    std::vector<ReferenceVector> x(n, ReferenceVector(dim_));
    for (size_t t = 0; t < n; ++t) {
      for (size_t c = 0; c < dim_; ++c)
        x[t][c] = embedding[static_cast<size_t>(tokens[t]) * dim_ + c] * std::sqrt(double(dim_));
    }
    for (size_t layer = 0; layer < layers_; ++layer) {
      const std::string prefix = "blk." + std::to_string(layer) + ".";
      const bool sliding = window > 0 && layer % 2 == 0;
      std::vector<ReferenceVector> q(n), k(n), v(n);
      for (size_t t = 0; t < n; ++t) {
        const auto h = rms_norm(x[t], prefix + "attn_norm.weight");
        q[t] = rope(product(prefix + "attn_q.weight", h), t);
        k[t] = rope(product(prefix + "attn_k.weight", h), t);
        v[t] = product(prefix + "attn_v.weight", h);
      }
      for (size_t t = 0; t < n; ++t) {
        ReferenceVector attended(heads_ * head_dim_, 0.0);
        for (size_t head = 0; head < heads_; ++head) {
          const size_t kv = head / (heads_ / kv_heads_);
          ReferenceVector scores;
          double max_score = -INFINITY;
          for (size_t j = 0; j <= t; ++j) {
            double s = 0;
            for (size_t i = 0; i < head_dim_; ++i)
              s += q[t][head * head_dim_ + i] * k[j][kv * head_dim_ + i];
            s = attention_cap_ * std::tanh(s / std::sqrt(double(head_dim_)) / attention_cap_);
            const bool hidden = sliding && static_cast<int64_t>(t - j) >= window;
            scores.push_back(hidden ? -INFINITY : s);
            max_score = std::max(max_score, scores.back());
          }
          double sum = 0;
          for (double& s : scores) sum += (s = std::exp(s - max_score));
          for (size_t j = 0; j <= t; ++j) {
            for (size_t i = 0; i < head_dim_; ++i)
              attended[head * head_dim_ + i] += scores[j] / sum * v[j][kv * head_dim_ + i];
          }
        }
        add_to(x[t], rms_norm(product(prefix + "attn_output.weight", attended),
                              prefix + "post_attention_norm.weight"));
      }
      for (size_t t = 0; t < n; ++t) {
        const auto h = rms_norm(x[t], prefix + "ffn_norm.weight");
        const auto gate = product(prefix + "ffn_gate.weight", h);
        auto up = product(prefix + "ffn_up.weight", h);
        for (size_t i = 0; i < up.size(); ++i) {
          const double g = gate[i];
          up[i] *= 0.5 * g * (1 + std::tanh(std::sqrt(2 / M_PI) * (g + 0.044715 * g * g * g)));
        }
        add_to(x[t],
               rms_norm(product(prefix + "ffn_down.weight", up), prefix + "post_ffw_norm.weight"));
      }
    }
    std::vector<ReferenceVector> logits(n);
    for (size_t t = 0; t < n; ++t) {
      logits[t] = product("token_embd.weight", rms_norm(x[t], "output_norm.weight"));
      for (double& l : logits[t]) l = final_cap_ * std::tanh(l / final_cap_);
    }
    return logits;
  }

 private:
  std::vector<float> weights(const std::string& name) const {
    const auto* view = file_.find_tensor(name);
    EXPECT_NE(view, nullptr) << name;
    EXPECT_EQ(view->type, tensor::ElementType::F32) << name;
    std::vector<float> values(view->element_count());
    std::memcpy(values.data(), view->data, values.size() * sizeof(float));
    return values;
  }

  // out[r] = sum_c W[r][c] x[c]; GGUF stores W with rows of x.size() values.
  ReferenceVector product(const std::string& name, const ReferenceVector& x) const {
    const auto w = weights(name);
    ReferenceVector out(w.size() / x.size(), 0.0);
    for (size_t r = 0; r < out.size(); ++r) {
      for (size_t c = 0; c < x.size(); ++c) out[r] += double(w[r * x.size() + c]) * x[c];
    }
    return out;
  }

  ReferenceVector rms_norm(const ReferenceVector& x, const std::string& weight_name) const {
    const auto w = weights(weight_name);
    double mean_square = 0;
    for (double value : x) mean_square += value * value;
    const double scale = 1 / std::sqrt(mean_square / double(x.size()) + eps_);
    ReferenceVector out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * scale * w[i];
    return out;
  }

  // NeoX rotation of each head: pairs (i, i + head_dim/2), angle pos * base^(-2i/head_dim).
  ReferenceVector rope(ReferenceVector x, size_t position) const {
    const size_t half = head_dim_ / 2;
    for (size_t head = 0; head < x.size() / head_dim_; ++head) {
      for (size_t i = 0; i < half; ++i) {
        const double angle =
            double(position) * std::pow(rope_base_, -2.0 * double(i) / double(head_dim_));
        double& a = x[head * head_dim_ + i];
        double& b = x[head * head_dim_ + i + half];
        const double rotated_a = a * std::cos(angle) - b * std::sin(angle);
        b = a * std::sin(angle) + b * std::cos(angle);
        a = rotated_a;
      }
    }
    return x;
  }

  static void add_to(ReferenceVector& x, const ReferenceVector& delta) {
    for (size_t i = 0; i < x.size(); ++i) x[i] += delta[i];
  }

  const gguf::GgufFile& file_;
  size_t dim_ = 0, layers_ = 0, heads_ = 0, kv_heads_ = 0, head_dim_ = 0;
  double eps_ = 0, rope_base_ = 0, attention_cap_ = 0, final_cap_ = 0;
};

std::vector<float> engine_logits(std::shared_ptr<const gguf::GgufFile> file,
                                 std::span<const int32_t> tokens, tensor::KernelChoice kernels) {
  auto model = model::Model::from_file(std::move(file));
  runtime::EngineOptions options;
  options.threads = 2;
  options.kernels = kernels;
  options.kv_type = tensor::ElementType::F32;
  runtime::Engine engine(model, options);
  auto sequence = engine.new_sequence();
  return runtime::evaluate_prompt(engine, sequence, tokens, 0).prompt_logits;
}

template <typename Value>
double max_abs_error(std::span<const Value> actual, const ReferenceVector& expected) {
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    worst = std::max(worst, std::abs(double(actual[i]) - expected[i]));
  return worst;
}

TEST(Gemma2SlidingWindow, HidesOnlyKeysOutsideTheWindowInTheEvenLayers) {
  const auto path = test::shared_path("fixtures/gemma2/gemma2-f32.gguf");
  const auto original = gguf::GgufFile::open(path.string());
  ASSERT_EQ(original->get_uint("gemma2.attention.sliding_window"), 4096u);
  auto writer = gguf::GgufWriter::copy_of(*original);
  writer.set_uint32("gemma2.attention.sliding_window", kWindow);
  const auto patched_bytes = writer.to_bytes();
  const auto patched = gguf::GgufFile::from_buffer(patched_bytes, "gemma2-window4.gguf");

  auto tokens =
      test::read_token_ids(test::shared_path("fixtures/gemma2/reference/gemma2-f32.tokens.txt"));
  tokens.resize(kPromptLength);
  const size_t n_vocab = 512;

  const Gemma2Reference reference(*original);
  const auto full = reference.forward(tokens, 0);
  const auto windowed = reference.forward(tokens, kWindow);
  const auto exact =
      test::read_f32_file(path.parent_path() / "reference/gemma2-f32.exact.logits.f32");
  for (size_t row = 0; row < kPromptLength; ++row) {
    EXPECT_LE(
        max_abs_error(std::span<const float>(exact).subspan(row * n_vocab, n_vocab), full[row]),
        1e-5)
        << "the float64 pass here disagrees with the fixture's at row " << row;
    // In float64 the window changes exactly the rows that have keys outside it.
    const double change = max_abs_error(std::span<const double>(full[row]), windowed[row]);
    if (static_cast<int64_t>(row) < kWindow) {
      EXPECT_EQ(change, 0.0) << "row " << row;
    } else {
      EXPECT_GT(change, 1e-2) << "row " << row;
    }
  }

  for (auto kernels : {tensor::KernelChoice::reference, tensor::KernelChoice::fast}) {
    const bool fast = kernels == tensor::KernelChoice::fast;
    SCOPED_TRACE(fast ? "fast kernels" : "reference kernels");
    const auto unpatched_logits = engine_logits(original, tokens, kernels);
    const auto patched_logits = engine_logits(patched, tokens, kernels);
    // F32 weights: the fast kernels keep float32 activations too (no activation rounding).
    const double tolerance = 1e-4;
    for (size_t row = 0; row < kPromptLength; ++row) {
      const std::span<const float> with_window(patched_logits.data() + row * n_vocab, n_vocab);
      const std::span<const float> without(unpatched_logits.data() + row * n_vocab, n_vocab);
      const double vs_reference = max_abs_error(with_window, windowed[row]);
      const double vs_unpatched = test::compare_logits(with_window, without).max_abs;
      std::printf("[ measured ] %s row %zu: window vs float64 window %.2e, vs no window %.2e\n",
                  fast ? "fast" : "reference", row, vs_reference, vs_unpatched);
      EXPECT_LE(vs_reference, tolerance) << "row " << row;
      if (static_cast<int64_t>(row) < kWindow) {
        EXPECT_EQ(vs_unpatched, 0.0) << "row " << row << " sees no key outside the window";
      } else {
        EXPECT_GT(vs_unpatched, 0.0) << "row " << row;
        // Closer to the windowed float64 logits than to the unwindowed ones by far.
        EXPECT_LT(100 * vs_reference, max_abs_error(with_window, full[row])) << "row " << row;
      }
    }
  }
}

}  // namespace
}  // namespace weft
