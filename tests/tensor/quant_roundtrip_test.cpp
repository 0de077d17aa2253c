// Quantise -> dequantise on random data stays within each type's error bound, and the
// reference dot product agrees with a double-precision dot of the dequantised row.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tensor/formats/element_type.hpp"
#include "tensor/quant_formats.hpp"
#include "weft/error.hpp"

namespace weft::tensor {
namespace {

struct ErrorBound {
  ElementType type;
  // Bound on RMS(error) / RMS(data) for Gaussian data. Derived from the step size of each
  // format (uniform rounding error = step/√12, step = block range / levels) with margin
  // for the block extremes of 32 or 16 Gaussian values (about ±2.1σ); measured values are
  // in docs/formats.md.
  double relative_rms;
};

constexpr ErrorBound kBounds[] = {
    {ElementType::F32, 0.0},     {ElementType::F16, 3e-4},    {ElementType::BF16, 3e-3},
    {ElementType::Q8_0, 0.008},  {ElementType::Q8_1, 0.008},  {ElementType::Q8_K, 0.01},
    {ElementType::Q6_K, 0.025},  {ElementType::Q5_0, 0.05},   {ElementType::Q5_1, 0.045},
    {ElementType::Q5_K, 0.045},  {ElementType::Q4_0, 0.1},    {ElementType::Q4_1, 0.09},
    {ElementType::Q4_K, 0.09},   {ElementType::Q3_K, 0.2},    {ElementType::Q2_K, 0.4},
    {ElementType::IQ4_NL, 0.09}, {ElementType::IQ4_XS, 0.09},
};

std::vector<float> gaussian_row(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> row(static_cast<size_t>(n));
  for (float& v : row) v = normal(rng);
  return row;
}

std::vector<float> round_trip(ElementType type, const std::vector<float>& row) {
  const auto n = static_cast<int64_t>(row.size());
  std::vector<uint8_t> packed(*bytes_for(type, static_cast<uint64_t>(n)));
  quantize_row(type, row.data(), packed.data(), n);
  std::vector<float> back(row.size());
  dequantize_row(type, packed.data(), back.data(), n);
  return back;
}

double relative_rms_error(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    ref += static_cast<double>(a[i]) * a[i];
  }
  return std::sqrt(err / ref);
}

class QuantRoundTrip : public ::testing::TestWithParam<ErrorBound> {};

TEST_P(QuantRoundTrip, GaussianErrorWithinBound) {
  const ErrorBound bound = GetParam();
  const auto row = gaussian_row(256 * 64, 1234);
  const auto back = round_trip(bound.type, row);
  const double error = relative_rms_error(row, back);
  RecordProperty("relative_rms_error", std::to_string(error));
  EXPECT_LE(error, bound.relative_rms) << traits_of(bound.type).name;
  if (bound.type != ElementType::F32) {
    EXPECT_GT(error, 0.0) << "lossy type lost nothing";
  }
}

TEST_P(QuantRoundTrip, ScaleInvariance) {
  // A row scaled by 1e-3 or shifted to all-positive values must quantise as well (relative
  // to its spread): catches scale and offset handling.
  const ErrorBound bound = GetParam();
  auto row = gaussian_row(256 * 8, 99);
  for (float& v : row) v *= 1e-3f;
  EXPECT_LE(relative_rms_error(row, round_trip(bound.type, row)), bound.relative_rms);
  auto positive = gaussian_row(256 * 8, 98);
  for (float& v : positive) v = std::fabs(v);
  EXPECT_LE(relative_rms_error(positive, round_trip(bound.type, positive)), bound.relative_rms);
}

TEST_P(QuantRoundTrip, ZerosStayZero) {
  const ErrorBound bound = GetParam();
  const std::vector<float> zeros(512, 0.0f);
  for (float v : round_trip(bound.type, zeros)) ASSERT_EQ(v, 0.0f);
}

TEST_P(QuantRoundTrip, DotReferenceMatchesDequantisedDot) {
  const ErrorBound bound = GetParam();
  const int64_t n = 256 * 16;
  const auto row = gaussian_row(n, 5);
  const auto x = gaussian_row(n, 6);
  std::vector<uint8_t> packed(*bytes_for(bound.type, n));
  quantize_row(bound.type, row.data(), packed.data(), n);
  std::vector<float> values(static_cast<size_t>(n));
  dequantize_row(bound.type, packed.data(), values.data(), n);
  double exact = 0, magnitude = 0;
  for (int64_t i = 0; i < n; ++i) {
    exact += static_cast<double>(values[i]) * x[i];
    magnitude += std::fabs(static_cast<double>(values[i]) * x[i]);
  }
  const float dot = dot_reference(bound.type, packed.data(), x.data(), n);
  // Float accumulation of n terms: error ≤ n·ε·Σ|terms| in the worst case, far less typically.
  EXPECT_NEAR(dot, exact, 1e-5 * magnitude) << traits_of(bound.type).name;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, QuantRoundTrip, ::testing::ValuesIn(kBounds),
                         [](const auto& info) {
                           return std::string(traits_of(info.param.type).name);
                         });

TEST(QuantRows, RejectPartialBlocks) {
  for (const ErrorBound& bound : kBounds) {
    const uint32_t block = traits_of(bound.type).block_size;
    if (block == 1) continue;  // every length is whole
    std::vector<float> row(block + 1, 1.0f);
    std::vector<uint8_t> packed(2 * traits_of(bound.type).block_bytes);
    EXPECT_THROW(quantize_row(bound.type, row.data(), packed.data(), block + 1), Error);
    EXPECT_THROW(dequantize_row(bound.type, packed.data(), row.data(), block + 1), Error);
  }
}

// Values on the quantisation grid come back exactly: the code for each value is known from
// the format definition alone (here Q8_0 with d = 1/64: value = k/64 for k in -127..127).
TEST(QuantExact, GridValuesSurviveQ8_0) {
  std::vector<float> row(64);
  for (size_t i = 0; i < row.size(); ++i)
    row[i] = static_cast<float>(static_cast<int>(i % 32) * 4 - 64) / 64.0f;
  row[0] = 127.0f / 64.0f;  // the block maximum fixes d = 1/64
  row[32] = -127.0f / 64.0f;
  EXPECT_EQ(round_trip(ElementType::Q8_0, row), row);
}

}  // namespace
}  // namespace weft::tensor
