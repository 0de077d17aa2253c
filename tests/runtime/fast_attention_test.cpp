// The fast kernels' attention (a tiled online softmax over the cache, cost-balanced threads)
// against a direct double-precision computation, on a prompt-like batch (every position of
// a sequence spanning many pages) and a decode-like batch (rows of several sequences), with
// F16 and F32 caches, GQA groups, soft-capping and a sliding window; and each row's output
// bit-identical whether it is computed in a batch or alone.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kv/kv_type_name.hpp"
#include "runtime/paged_attention.hpp"
#include "support/random_kv_cache.hpp"
#include "tensor/cpu_features.hpp"
#include "tensor/x86/fast_attention_avx2.hpp"

namespace weft::runtime {
namespace {

constexpr int64_t kHeads = 6, kKvHeads = 2, kDim = 64, kKvDim = kKvHeads * kDim;

// The cache, and per sequence the keys and values it holds: F16 rounds on store, Q8_0
// quantises each block of 32.
struct AttentionFixture {
  test::RandomKvCache cache;
  std::vector<kv::KvSequence>& sequences = cache.sequences;
  std::vector<std::vector<float>> keys, values;  // per sequence: slots × kKvDim, as stored

  AttentionFixture(tensor::ElementType type, const std::vector<int64_t>& lengths)
      : cache(type, kKvDim, /*page_tokens=*/16, /*max_pages=*/64, /*seed=*/5, lengths) {
    const auto held = [type](const std::vector<float>& x) {
      if (type == tensor::ElementType::F16) return test::f16_values(x);
      if (type == tensor::ElementType::Q8_0) return test::reference_q8_0_values(x);
      return x;
    };
    for (size_t s = 0; s < lengths.size(); ++s) {
      keys.push_back(held(cache.keys[s]));
      values.push_back(held(cache.values[s]));
    }
  }
};

std::vector<double> expected_attention(const AttentionFixture& f, size_t s, const float* q,
                                       int64_t position, const AttentionShape& shape) {
  std::vector<double> out(kHeads * kDim, 0.0);
  for (int64_t h = 0; h < kHeads; ++h) {
    const int64_t kv = h / (kHeads / kKvHeads);
    std::vector<double> scores;
    std::vector<int64_t> slots;
    for (int64_t j = 0; j <= position; ++j) {
      if (shape.window > 0 && position - j >= shape.window) continue;
      double score = 0;
      for (int64_t d = 0; d < kDim; ++d)
        score += static_cast<double>(q[h * kDim + d]) * f.keys[s][j * kKvDim + kv * kDim + d];
      score *= shape.scale;
      if (shape.softcap > 0) score = shape.softcap * std::tanh(score / shape.softcap);
      scores.push_back(score);
      slots.push_back(j);
    }
    double max = scores[0];
    for (double x : scores) max = std::max(max, x);
    double sum = 0;
    for (double& x : scores) sum += (x = std::exp(x - max));
    for (size_t i = 0; i < scores.size(); ++i)
      for (int64_t d = 0; d < kDim; ++d)
        out[h * kDim + d] += scores[i] / sum * f.values[s][slots[i] * kKvDim + kv * kDim + d];
  }
  return out;
}

std::vector<float> random_queries(size_t rows, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> q(rows * kHeads * kDim);
  for (auto& x : q) x = normal(rng);
  return q;
}

class FastAttention : public ::testing::TestWithParam<tensor::ElementType> {
 protected:
  void SetUp() override {
    if (!tensor::cpu_has_avx2_fma_f16c()) GTEST_SKIP() << "the fast attention needs AVX2";
  }
};

const std::vector<AttentionShape>& shapes() {
  static const std::vector<AttentionShape> all = {
      AttentionShape{kHeads, kKvHeads, kDim, 0.125f, 0.0f, 0},
      AttentionShape{kHeads, kKvHeads, kDim, 0.125f, 2.5f, 0},
      AttentionShape{kHeads, kKvHeads, kDim, 0.125f, 0.0f, 21}};
  return all;
}

TEST_P(FastAttention, PromptBatchMatchesTheDirectComputationAndEachRowAlone) {
  AttentionFixture f(GetParam(), {75});
  std::vector<AttentionRow> rows;
  for (int64_t p = 0; p < 75; ++p) rows.push_back({&f.sequences[0], p});
  const auto q = random_queries(rows.size(), 9);
  const tensor::Kernels& fast = tensor::kernels_for(tensor::KernelChoice::fast);
  tensor::ThreadPool threads(2);
  for (const AttentionShape& shape : shapes()) {
    std::vector<float> out(q.size(), NAN);
    paged_attention(fast, threads, shape, 1, rows, q.data(), out.data());
    for (size_t r = 0; r < rows.size(); ++r) {
      const auto expected =
          expected_attention(f, 0, q.data() + r * kHeads * kDim, rows[r].position, shape);
      for (size_t i = 0; i < expected.size(); ++i)
        ASSERT_NEAR(out[r * kHeads * kDim + i], expected[i], 2e-5)
            << "row " << r << " softcap " << shape.softcap << " window " << shape.window;
    }
    for (size_t r : {size_t{0}, size_t{17}, size_t{74}}) {
      std::vector<float> alone(kHeads * kDim, NAN);
      paged_attention(fast, threads, shape, 1, std::span(rows).subspan(r, 1),
                      q.data() + r * kHeads * kDim, alone.data());
      for (size_t i = 0; i < alone.size(); ++i)
        ASSERT_EQ(alone[i], out[r * kHeads * kDim + i]) << "row " << r << " value " << i;
    }
  }
}

TEST_P(FastAttention, DecodeBatchOfSeveralSequencesMatchesTheDirectComputation) {
  AttentionFixture f(GetParam(), {40, 9, 33});
  const std::vector<AttentionRow> rows = {
      {&f.sequences[0], 39}, {&f.sequences[1], 8}, {&f.sequences[2], 32}, {&f.sequences[0], 12}};
  const auto q = random_queries(rows.size(), 10);
  tensor::ThreadPool threads(2);
  for (const AttentionShape& shape : shapes()) {
    std::vector<float> out(q.size(), NAN);
    paged_attention(tensor::kernels_for(tensor::KernelChoice::fast), threads, shape, 1, rows,
                    q.data(), out.data());
    for (size_t r = 0; r < rows.size(); ++r) {
      const size_t s = static_cast<size_t>(rows[r].sequence - f.sequences.data());
      const auto expected =
          expected_attention(f, s, q.data() + r * kHeads * kDim, rows[r].position, shape);
      for (size_t i = 0; i < expected.size(); ++i)
        ASSERT_NEAR(out[r * kHeads * kDim + i], expected[i], 2e-5) << "row " << r;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Caches, FastAttention,
                         ::testing::Values(tensor::ElementType::F16, tensor::ElementType::F32,
                                           tensor::ElementType::Q8_0),
                         [](const auto& info) { return kv::kv_type_name(info.param); });

TEST(FastVectorKernels, SoftmaxAndSiluMatchDoublePrecision) {
  if (!tensor::cpu_has_avx2_fma_f16c()) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 6.0f);
  for (int64_t n : {1, 7, 8, 9, 63, 200}) {
    std::vector<float> x(static_cast<size_t>(tensor::round_up_to_lanes(n)));
    for (auto& v : x) v = normal(rng);
    x[0] = -120.0f;  // underflows to zero weight
    std::vector<double> expected(x.begin(), x.begin() + n);
    double max = expected[0];
    for (double v : expected) max = std::max(max, v);
    double sum = 0;
    for (double& v : expected) sum += (v = std::exp(v - max));
    tensor::avx2_softmax(x.data(), n);
    for (int64_t i = 0; i < n; ++i)
      EXPECT_NEAR(x[static_cast<size_t>(i)], expected[static_cast<size_t>(i)] / sum,
                  3e-6 * expected[static_cast<size_t>(i)] / sum + 1e-12)
          << "n " << n << " i " << i;

    std::vector<float> gate(static_cast<size_t>(n)), up(gate.size()), out(gate.size());
    for (auto& v : gate) v = normal(rng);
    for (auto& v : up) v = normal(rng);
    gate[0] = -100.0f;
    tensor::avx2_silu_mul(gate.data(), up.data(), n, out.data());
    for (int64_t i = 0; i < n; ++i) {
      const double g = gate[static_cast<size_t>(i)];
      const double want = g / (1.0 + std::exp(-g)) * up[static_cast<size_t>(i)];
      EXPECT_NEAR(out[static_cast<size_t>(i)], want, 1e-6 * std::fabs(want) + 1e-30)
          << "n " << n << " i " << i;
    }
  }
}

}  // namespace
}  // namespace weft::runtime
