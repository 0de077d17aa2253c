// GGML's summation orders and approximations (tensor/reference/ggml_cpu_numerics.hpp) against libm
// and exact sums: they must be accurate to float32 rounding whatever their order. That they are
// GGML's own orders is what the fixture and stories260K tests check against llama.cpp's
// outputs, bit for bit.
#include "tensor/reference/ggml_cpu_numerics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "tensor/formats/half.hpp"
#include "tensor/formats/quant_blocks.hpp"

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

// The integer block dots against the same products summed exactly: every order must land
// within float rounding of it, including the unpaired last block of the alternating sum.
TEST(GgmlCpuNumericsBlocks, AlternatingBlockDotAgreesWithTheExactSum) {
  std::mt19937 random(11);
  std::uniform_int_distribution<int> code(-127, 127);
  std::uniform_real_distribution<float> scale(0.001f, 0.02f);
  for (int64_t n_blocks : {1, 2, 3, 4, 7}) {
    std::vector<int8_t> qa(static_cast<size_t>(32 * n_blocks)), qb(qa.size());
    std::vector<float> da(static_cast<size_t>(n_blocks)), db(da.size());
    double exact = 0, magnitude = 0;
    for (int64_t b = 0; b < n_blocks; ++b) {
      da[b] = scale(random);
      db[b] = scale(random);
      for (int t = 0; t < 32; ++t) {
        qa[b * 32 + t] = static_cast<int8_t>(code(random));
        qb[b * 32 + t] = static_cast<int8_t>(code(random));
        const double product = static_cast<double>(da[b]) * db[b] * qa[b * 32 + t] * qb[b * 32 + t];
        exact += product;
        magnitude += std::fabs(product);
      }
    }
    EXPECT_NEAR(q8_blocks_dot_alternating(qa.data(), da.data(), qb.data(), db.data(), n_blocks),
                exact, 1e-6 * magnitude)
        << n_blocks;
  }
}

TEST(GgmlCpuNumericsBlocks, Iq4XsDotAgreesWithTheExactSum) {
  std::mt19937 random(12);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> code(-127, 127);
  constexpr int kSuper = 3;
  std::vector<BlockIQ4_XS> weights(kSuper);
  std::vector<BlockQ8_K> activations(kSuper);
  double exact = 0, magnitude = 0;
  for (int b = 0; b < kSuper; ++b) {
    auto* bytes = reinterpret_cast<unsigned char*>(&weights[b]);
    for (size_t i = 0; i < sizeof(BlockIQ4_XS); ++i)
      bytes[i] = static_cast<unsigned char>(byte(random));
    weights[b].d = fp32_to_fp16(0.01f * static_cast<float>(b + 1));
    activations[b].d = 0.02f / static_cast<float>(b + 1);
    for (int e = 0; e < kSuperBlock; ++e) activations[b].qs[e] = static_cast<int8_t>(code(random));
    for (int e = 0; e < kSuperBlock; ++e) {
      const int sub = e / 32, j = e % 32;
      const uint8_t packed = weights[b].qs[16 * sub + j % 16];
      const int value = kIq4Values[j < 16 ? packed & 0xf : packed >> 4];
      const double product = static_cast<double>(fp16_to_fp32(weights[b].d)) * activations[b].d *
                             iq4_xs_scale(weights[b], sub) * value * activations[b].qs[e];
      exact += product;
      magnitude += std::fabs(product);
    }
  }
  EXPECT_NEAR(iq4_xs_dot(weights.data(), activations.data(), kSuper), exact, 1e-6 * magnitude);
}

INSTANTIATE_TEST_SUITE_P(Widths, GgmlCpuNumerics, ::testing::Values(kAvx2Lanes, kAvx512Lanes),
                         [](const auto& info) { return info.param == 8 ? "avx2" : "avx512"; });

}  // namespace
}  // namespace weft::tensor::ggml_cpu
