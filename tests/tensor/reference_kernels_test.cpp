// The reference kernels against direct double-precision formulas and against the formats'
// dot_reference, on random inputs with awkward sizes and several thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "support/random_values.hpp"
#include "tensor/formats/element_type.hpp"
#include "tensor/kernels.hpp"
#include "tensor/quant_formats.hpp"

namespace weft::tensor {
namespace {

const Kernels& kernels() {
  return reference_kernels();
}

class MatmulPerType : public ::testing::TestWithParam<ElementType> {};

TEST_P(MatmulPerType, EveryOutputIsTheDotOfAStoredRowWithAnActivationRow) {
  const ElementType type = GetParam();
  const int64_t cols = 512;  // two K-quant super-blocks
  const int64_t rows = 37;   // does not divide between threads evenly
  const auto traits = traits_of(type);
  const uint64_t row_bytes = *bytes_for(type, cols);
  std::vector<std::byte> stored(row_bytes * rows);
  const auto source = test::random_values(static_cast<size_t>(rows * cols), 1, 0.5f);
  for (int64_t r = 0; r < rows; ++r)
    quantize_row(type, source.data() + r * cols, stored.data() + r * row_bytes, cols);
  const WeightMatrix w{type, rows, cols, row_bytes, stored.data()};
  ASSERT_EQ(cols % traits.block_size, 0);

  for (unsigned threads : {1u, 2u, 3u}) {
    ThreadPool pool(threads);
    for (int64_t n_rows : {1, 3, 8}) {
      const auto x = test::random_values(static_cast<size_t>(n_rows * cols),
                                         2 + static_cast<uint32_t>(n_rows), 1.0f);
      std::vector<float> out(static_cast<size_t>(n_rows * rows), NAN);
      kernels().matmul(w, x.data(), n_rows, out.data(), pool);
      for (int64_t i = 0; i < n_rows; ++i) {
        for (int64_t r = 0; r < rows; ++r) {
          const float expected = dot_reference(type, w.row(r), x.data() + i * cols, cols);
          EXPECT_NEAR(out[static_cast<size_t>(i * rows + r)], expected,
                      1e-4 * (1 + std::fabs(expected)))
              << traits.name << " threads " << threads << " row " << i << " output " << r;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulPerType,
                         ::testing::Values(ElementType::F32, ElementType::F16, ElementType::BF16,
                                           ElementType::Q4_0, ElementType::Q4_1, ElementType::Q5_0,
                                           ElementType::Q5_1, ElementType::Q8_0, ElementType::Q2_K,
                                           ElementType::Q3_K, ElementType::Q4_K, ElementType::Q5_K,
                                           ElementType::Q6_K),
                         [](const auto& info) { return std::string(traits_of(info.param).name); });

TEST(ReferenceKernels, RmsNormMatchesTheFormula) {
  const auto x = test::random_values(67, 3, 1.0f);
  const auto w = test::random_values(67, 4, 1.0f);
  std::vector<float> out(67);
  kernels().rms_norm(x.data(), w.data(), 67, 1e-5f, out.data());
  double sum = 0;
  for (float v : x) sum += static_cast<double>(v) * v;
  const double scale = 1.0 / std::sqrt(sum / 67 + 1e-5);
  for (size_t i = 0; i < 67; ++i) EXPECT_NEAR(out[i], x[i] * scale * w[i], 1e-5);
}

TEST(ReferenceKernels, RopeRotatesTheDocumentedPairs) {
  const int64_t head_dim = 8;
  const int64_t n_rot = 6;  // the last two dimensions of each head stay as they are
  const std::vector<double> inverse{1.0, 0.1, 0.01};
  const auto x = test::random_values(2 * head_dim, 5, 1.0f);
  for (RopeMode mode : {RopeMode::normal, RopeMode::neox}) {
    auto rotated = x;
    kernels().rope(rotated.data(), {2, head_dim, n_rot, mode, inverse.data()}, 7);
    for (int64_t head = 0; head < 2; ++head) {
      const float* in = x.data() + head * head_dim;
      const float* out = rotated.data() + head * head_dim;
      for (int64_t i = 0; i < n_rot / 2; ++i) {
        const int64_t a = mode == RopeMode::normal ? 2 * i : i;
        const int64_t b = mode == RopeMode::normal ? 2 * i + 1 : i + n_rot / 2;
        const double angle = 7 * inverse[static_cast<size_t>(i)];
        EXPECT_NEAR(out[a], in[a] * std::cos(angle) - in[b] * std::sin(angle), 1e-6);
        EXPECT_NEAR(out[b], in[a] * std::sin(angle) + in[b] * std::cos(angle), 1e-6);
      }
      EXPECT_EQ(out[6], in[6]);
      EXPECT_EQ(out[7], in[7]);
    }
  }
}

TEST(ReferenceKernels, SoftmaxSumsToOneAndKeepsRatios) {
  auto x = test::random_values(33, 6, 10.0f);
  const auto original = x;
  kernels().softmax(x.data(), 33);
  double sum = 0;
  for (float v : x) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_NEAR(std::log(x[3] / x[5]), original[3] - original[5], 1e-4);
}

TEST(ReferenceKernels, ActivationsMatchTheirFormulas) {
  const auto gate = test::random_values(41, 7, 3.0f);
  const auto up = test::random_values(41, 8, 1.0f);
  std::vector<float> silu(41), gelu(41);
  kernels().silu_mul(gate.data(), up.data(), 41, silu.data());
  kernels().gelu_tanh_mul(gate.data(), up.data(), 41, gelu.data());
  for (size_t i = 0; i < 41; ++i) {
    const double g = gate[i];
    EXPECT_NEAR(silu[i], g / (1 + std::exp(-g)) * up[i], 1e-5);
    const double tanh_gelu =
        0.5 * g * (1 + std::tanh(std::sqrt(2 / M_PI) * (g + 0.044715 * g * g * g)));
    EXPECT_NEAR(gelu[i], tanh_gelu * up[i], 1e-5);
  }
}

TEST(ReferenceKernels, SoftCapAddAxpyAndDot) {
  auto x = test::random_values(19, 9, 50.0f);
  const auto original = x;
  kernels().soft_cap(x.data(), 19, 20.0f);
  for (size_t i = 0; i < 19; ++i) EXPECT_NEAR(x[i], 20 * std::tanh(original[i] / 20.0), 1e-4);
  auto y = test::random_values(19, 10, 1.0f);
  const auto y0 = y;
  kernels().axpy(0.5f, original.data(), y.data(), 19);
  for (size_t i = 0; i < 19; ++i) EXPECT_NEAR(y[i], y0[i] + 0.5 * original[i], 1e-4);
  kernels().add(y.data(), y0.data(), 19);
  double dot = 0;
  for (size_t i = 0; i < 19; ++i) {
    EXPECT_NEAR(y[i], 2 * y0[i] + 0.5 * original[i], 1e-4);
    dot += static_cast<double>(y0[i]) * original[i];
  }
  EXPECT_NEAR(kernels().dot(y0.data(), original.data(), 19), dot, 1e-3);
}

TEST(KernelChoice, FastFallsBackToAnImplementation) {
  EXPECT_EQ(kernels_for(KernelChoice::reference).name(), "reference");
  EXPECT_FALSE(kernels_for(KernelChoice::fast).name().empty());
}

}  // namespace
}  // namespace weft::tensor
