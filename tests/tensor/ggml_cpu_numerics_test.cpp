// GGML's summation orders and approximations (tensor/ggml_cpu_numerics.hpp) against libm and
// exact sums: they must be accurate to float32 rounding whatever their order. That they are
// GGML's own orders is what the fixture and stories260K tests check against llama.cpp's
// outputs, bit for bit.
#include "tensor/ggml_cpu_numerics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace weft::tensor::ggml_cpu {
namespace {

class GgmlCpuNumerics : public ::testing::TestWithParam<int> {};

TEST_P(GgmlCpuNumerics, VectorExpIsWithinTwoUlpsOfLibm) {
  const int lanes = GetParam();
  for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
    const float expected = std::exp(x);
    EXPECT_NEAR(vector_expf(x, lanes), expected,
                2.5f * (std::nextafter(expected, INFINITY) - expected))
        << x;
  }
  EXPECT_EQ(vector_expf(-INFINITY, lanes), 0.0f);
  EXPECT_EQ(vector_expf(-200.0f, lanes), 0.0f);
  EXPECT_EQ(vector_expf(0.0f, lanes), 1.0f);
  EXPECT_TRUE(std::isinf(vector_expf(200.0f, lanes)));
}

TEST_P(GgmlCpuNumerics, DotProductsAgreeWithTheExactSum) {
  const int lanes = GetParam();
  std::mt19937 random(7);
  std::normal_distribution<float> normal;
  for (int64_t n : {8, 16, 64, 100, 172, 256}) {
    std::vector<float> a(static_cast<size_t>(n));
    std::vector<float> b(static_cast<size_t>(n));
    double exact = 0;
    double magnitude = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      a[i] = normal(random);
      b[i] = normal(random);
      exact += static_cast<double>(a[i]) * b[i];
      magnitude += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    const double bound = 1e-6 * magnitude;
    for (auto operands : {Operands::f32, Operands::f16, Operands::bf16}) {
      EXPECT_NEAR(vec_dot(operands, a.data(), b.data(), n, lanes), exact, bound) << n;
    }
    if (n % lanes == 0) {
      EXPECT_NEAR(sgemm_dot(a.data(), b.data(), n, lanes), exact, bound) << n;
    }
  }
}

TEST_P(GgmlCpuNumerics, SoftmaxIsNormalisedAndIgnoresMaskedCells) {
  const int lanes = GetParam();
  std::vector<float> scores = {0.5f, -1.0f, 2.0f, 0.25f, -INFINITY, 1.5f, -3.0f, 0.0f, -INFINITY};
  std::vector<float> expected(scores.size());
  double sum = 0;
  for (size_t i = 0; i < scores.size(); ++i) sum += std::exp(static_cast<double>(scores[i]) - 2.0);
  for (size_t i = 0; i < scores.size(); ++i)
    expected[i] = static_cast<float>(std::exp(static_cast<double>(scores[i]) - 2.0) / sum);
  softmax(scores.data(), static_cast<int64_t>(scores.size()), lanes);
  for (size_t i = 0; i < scores.size(); ++i) EXPECT_NEAR(scores[i], expected[i], 1e-6f) << i;
  EXPECT_EQ(scores[4], 0.0f);
}

TEST(GgmlCpuNumericsShapes, PicksTinyBlasForBatchesOfWholeVectors) {
  EXPECT_TRUE(uses_sgemm(64, 2, 64, kAvx2Lanes));
  EXPECT_FALSE(uses_sgemm(64, 1, 64, kAvx2Lanes));   // one row: ggml_vec_dot
  EXPECT_FALSE(uses_sgemm(64, 5, 172, kAvx2Lanes));  // k not whole vectors
  EXPECT_FALSE(uses_sgemm(62, 5, 64, kAvx2Lanes));   // m not in fours
  EXPECT_FALSE(uses_sgemm(32, 5, 8, kAvx512Lanes));  // head size 8 < 16 lanes
  EXPECT_EQ(padded_cells(1), 32);
  EXPECT_EQ(padded_cells(32), 32);
  EXPECT_EQ(padded_cells(33), 64);
}

INSTANTIATE_TEST_SUITE_P(Widths, GgmlCpuNumerics, ::testing::Values(kAvx2Lanes, kAvx512Lanes),
                         [](const auto& info) { return info.param == 8 ? "avx2" : "avx512"; });

}  // namespace
}  // namespace weft::tensor::ggml_cpu
