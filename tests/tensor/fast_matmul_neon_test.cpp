// The NEON products (aarch64 only; elsewhere these tests are skipped) against the
// rounded-activations kernels (Q8_0, Q4_0: same activation rounding, float32 summation order
// may differ) and the reference kernels (F32, F16), on awkward sizes, batches of 1 to 9 rows
// and 1 or 2 threads; a row's result does not depend on its batch. Run on this x86 machine
// through scripts/check-aarch64.sh (cross compiler + qemu).
#include "tensor/fast_matmul_neon.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensor/kernels.hpp"
#include "tensor/quant_formats.hpp"

namespace weft::tensor {
namespace {

struct Problem {
  std::vector<std::byte> stored;
  WeightMatrix w;
  std::vector<float> dequantized;
};

Problem make_weights(ElementType type, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  Problem p;
  const uint64_t row_bytes = *bytes_for(type, static_cast<uint64_t>(cols));
  p.stored.resize(row_bytes * static_cast<uint64_t>(rows));
  p.dequantized.resize(static_cast<size_t>(rows * cols));
  std::vector<float> source(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : source) v = normal(rng);
    quantize_row(type, source.data(), p.stored.data() + r * row_bytes, cols);
    dequantize_row(type, p.stored.data() + r * row_bytes, p.dequantized.data() + r * cols, cols);
  }
  p.w = {type, rows, cols, row_bytes, p.stored.data()};
  return p;
}

std::vector<float> activations(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  return x;
}

class NeonMatmul : public ::testing::TestWithParam<ElementType> {};

TEST_P(NeonMatmul, MatchesItsYardstickAndIgnoresTheBatch) {
  const ElementType type = GetParam();
  if (!neon_matmul_supports(type)) GTEST_SKIP() << "no NEON products on this CPU";
  const bool integer = type == ElementType::Q8_0 || type == ElementType::Q4_0;
  const Kernels& yardstick =
      kernels_for(integer ? KernelChoice::rounded_activations : KernelChoice::reference);
  for (int64_t rows : {1, 7, 37}) {
    for (int64_t cols : {32, 7 * 32, 9 * 32}) {
      const Problem p = make_weights(type, rows, cols, static_cast<uint32_t>(rows + cols));
      for (int64_t n_rows = 1; n_rows <= 9; n_rows += 2) {
        const auto x = activations(n_rows * cols, static_cast<uint32_t>(n_rows));
        std::vector<float> rounded = x;  // for the magnitude Σ|w·x̃| of the bound
        for (int64_t i = 0; i < n_rows; ++i)
          yardstick.round_activations(type, rounded.data() + i * cols, cols);
        ThreadPool pool(1 + static_cast<unsigned>(n_rows % 2));
        std::vector<float> got(static_cast<size_t>(n_rows * rows));
        std::vector<float> expected(got.size());
        neon_matmul(p.w, x.data(), n_rows, got.data(), pool);
        yardstick.matmul(p.w, x.data(), n_rows, expected.data(), pool);
        for (int64_t i = 0; i < n_rows; ++i) {
          std::vector<float> alone(static_cast<size_t>(rows));
          neon_matmul(p.w, x.data() + i * cols, 1, alone.data(), pool);
          for (int64_t r = 0; r < rows; ++r) {
            double magnitude = 0;
            for (int64_t k = 0; k < cols; ++k)
              magnitude += std::fabs(p.dequantized[r * cols + k] * rounded[i * cols + k]);
            const size_t at = static_cast<size_t>(i * rows + r);
            ASSERT_NEAR(got[at], expected[at], 1e-5 * magnitude + 1e-6)
                << rows << "x" << cols << " batch " << n_rows;
            ASSERT_EQ(alone[r], got[at]) << "row " << r << " depends on its batch";
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, NeonMatmul,
                         ::testing::Values(ElementType::Q8_0, ElementType::Q4_0, ElementType::F32,
                                           ElementType::F16),
                         [](const auto& info) { return std::string(traits_of(info.param).name); });

}  // namespace
}  // namespace weft::tensor
