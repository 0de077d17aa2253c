// The fast kernels against the rounded-activations kernels (the same activation rounding,
// computed in float32 by scalar code) and against the reference kernels (float32
// activations), on random inputs of awkward sizes, several batch sizes and thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "support/random_values.hpp"
#include "tensor/arm/fast_matmul_neon.hpp"
#include "tensor/cpu_features.hpp"
#include "tensor/formats/element_type.hpp"
#include "tensor/kernels.hpp"
#include "tensor/quant_formats.hpp"
#include "tensor/x86/fast_matmul_avx2.hpp"

namespace weft::tensor {
namespace {

using test::random_values;

struct MatmulCase {
  ElementType type;
  int64_t cols;
};

struct Problem {
  int64_t rows = 0;
  std::vector<std::byte> stored;
  WeightMatrix w;
  std::vector<float> x;
  std::vector<float> dequantized;  // rows × cols
};

Problem make_problem(const MatmulCase& c, int64_t rows, int64_t n_rows, uint32_t seed) {
  Problem p;
  p.rows = rows;
  const uint64_t row_bytes = *bytes_for(c.type, static_cast<uint64_t>(c.cols));
  p.stored.resize(row_bytes * static_cast<uint64_t>(rows));
  const auto source = random_values(static_cast<size_t>(rows * c.cols), seed, 0.5f);
  p.dequantized.resize(source.size());
  for (int64_t r = 0; r < rows; ++r) {
    quantize_row(c.type, source.data() + r * c.cols, p.stored.data() + r * row_bytes, c.cols);
    dequantize_row(c.type, p.stored.data() + r * row_bytes, p.dequantized.data() + r * c.cols,
                   c.cols);
  }
  p.w = {c.type, rows, c.cols, row_bytes, p.stored.data()};
  p.x = random_values(static_cast<size_t>(n_rows * c.cols), seed + 1, 1.0f);
  return p;
}

std::vector<float> run_matmul(KernelChoice choice, const Problem& p, int64_t n_rows,
                              unsigned threads) {
  ThreadPool pool(threads);
  std::vector<float> out(static_cast<size_t>(n_rows * p.rows));
  kernels_for(choice).matmul(p.w, p.x.data(), n_rows, out.data(), pool);
  return out;
}

// What the fast kernels round activations like: rounded-activations for the types they
// multiply with integer dot products on this CPU; otherwise (float weights, or no SIMD
// product for the type here: the reference kernels run) the reference.
KernelChoice yardstick_kernel(ElementType type) {
  const bool simd_product =
      (cpu_has_avx2_fma_f16c() && avx2_matmul_supports(type)) || neon_matmul_supports(type);
  if (!simd_product) return KernelChoice::reference;
  switch (type) {
    case ElementType::Q8_0:
    case ElementType::Q4_0:
    case ElementType::Q4_1:
    case ElementType::Q5_0:
    case ElementType::Q5_1:
    case ElementType::Q2_K:
    case ElementType::Q3_K:
    case ElementType::Q4_K:
    case ElementType::Q5_K:
    case ElementType::Q6_K:
      return KernelChoice::rounded_activations;
    default:
      return KernelChoice::reference;
  }
}

class FastMatmul : public ::testing::TestWithParam<MatmulCase> {};

// With the activations rounded the same way, only float32 summation order differs: the
// difference stays below a few ulps of Σ|w·x|.
TEST_P(FastMatmul, MatchesItsYardstickToSummationOrder) {
  const MatmulCase c = GetParam();
  const int64_t rows = 37;
  for (int64_t n_rows : {1, 2, 3, 5, 7, 9}) {
    const Problem p = make_problem(c, rows, n_rows, 11);
    const auto threads = static_cast<unsigned>(1 + n_rows % 3);
    const auto fast = run_matmul(KernelChoice::fast, p, n_rows, threads);
    const auto rounded = run_matmul(yardstick_kernel(c.type), p, n_rows, 2);
    // The rounded activations themselves, for the magnitude Σ|w|·|x̃|.
    std::vector<float> x_rounded = p.x;
    for (int64_t i = 0; i < n_rows; ++i)
      kernels_for(yardstick_kernel(c.type))
          .round_activations(c.type, x_rounded.data() + i * c.cols, c.cols);
    for (int64_t i = 0; i < n_rows; ++i) {
      for (int64_t r = 0; r < rows; ++r) {
        double magnitude = 0;
        for (int64_t k = 0; k < c.cols; ++k)
          magnitude += std::fabs(p.dequantized[r * c.cols + k] * x_rounded[i * c.cols + k]);
        const size_t at = static_cast<size_t>(i * rows + r);
        EXPECT_NEAR(fast[at], rounded[at], 1e-5 * magnitude + 1e-6)
            << traits_of(c.type).name << " row " << r << " batch " << n_rows;
      }
    }
  }
}

// Against float32 activations the difference is bounded by what rounding the activations
// moved: Σ|w|·|x - x̃| (plus summation slack).
TEST_P(FastMatmul, StaysWithinTheActivationRoundingBoundOfTheReference) {
  const MatmulCase c = GetParam();
  const int64_t rows = 29;
  const int64_t n_rows = 6;
  const Problem p = make_problem(c, rows, n_rows, 21);
  const auto fast = run_matmul(KernelChoice::fast, p, n_rows, 2);
  const auto reference = run_matmul(KernelChoice::reference, p, n_rows, 2);
  std::vector<float> x_rounded = p.x;
  for (int64_t i = 0; i < n_rows; ++i)
    kernels_for(yardstick_kernel(c.type))
        .round_activations(c.type, x_rounded.data() + i * c.cols, c.cols);
  for (int64_t i = 0; i < n_rows; ++i) {
    for (int64_t r = 0; r < rows; ++r) {
      double bound = 0;
      double magnitude = 0;
      for (int64_t k = 0; k < c.cols; ++k) {
        const double wk = std::fabs(p.dequantized[r * c.cols + k]);
        bound += wk * std::fabs(p.x[i * c.cols + k] - x_rounded[i * c.cols + k]);
        magnitude += wk * std::fabs(p.x[i * c.cols + k]);
      }
      const size_t at = static_cast<size_t>(i * rows + r);
      EXPECT_NEAR(fast[at], reference[at], bound + 1e-5 * magnitude + 1e-6)
          << traits_of(c.type).name << " row " << r;
    }
  }
}

// A row's output never depends on the batch around it or on the thread count (the
// Kernels contract): bit-identical.
TEST_P(FastMatmul, RowResultsIndependentOfBatchAndThreads) {
  const MatmulCase c = GetParam();
  const int64_t rows = 23;
  const int64_t n_rows = 7;
  const Problem p = make_problem(c, rows, n_rows, 31);
  const auto batched = run_matmul(KernelChoice::fast, p, n_rows, 2);
  const auto one_thread = run_matmul(KernelChoice::fast, p, n_rows, 1);
  EXPECT_EQ(batched, one_thread);
  for (int64_t i = 0; i < n_rows; ++i) {
    Problem single = p;
    single.w.data = single.stored.data();
    single.x.assign(p.x.begin() + i * c.cols, p.x.begin() + (i + 1) * c.cols);
    const auto alone = run_matmul(KernelChoice::fast, single, 1, 2);
    for (int64_t r = 0; r < rows; ++r)
      EXPECT_EQ(alone[static_cast<size_t>(r)], batched[static_cast<size_t>(i * rows + r)])
          << "batch row " << i << " weight row " << r;
  }
}

TEST(FastVectorOps, DotAndAxpyMatchDoublePrecisionOnAwkwardLengths) {
  const Kernels& fast = kernels_for(KernelChoice::fast);
  for (int64_t n : {1, 7, 8, 17, 64, 131}) {
    const auto a = random_values(static_cast<size_t>(n), 41, 1.0f);
    const auto b = random_values(static_cast<size_t>(n), 42, 1.0f);
    double exact = 0;
    double magnitude = 0;
    for (int64_t i = 0; i < n; ++i) {
      exact += static_cast<double>(a[i]) * b[i];
      magnitude += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    EXPECT_NEAR(fast.dot(a.data(), b.data(), n), exact, 1e-6 * magnitude) << "n " << n;
    std::vector<float> y = b;
    fast.axpy(0.75f, a.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i)
      EXPECT_NEAR(y[i], 0.75 * a[i] + b[i], 1e-6 * (std::fabs(a[i]) + std::fabs(b[i])));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Types, FastMatmul,
    ::testing::Values(MatmulCase{ElementType::Q8_0, 32 * 7}, MatmulCase{ElementType::Q4_0, 32 * 9},
                      MatmulCase{ElementType::Q4_K, 256 * 3},
                      MatmulCase{ElementType::Q6_K, 256 * 3}, MatmulCase{ElementType::F16, 67},
                      MatmulCase{ElementType::F32, 131}, MatmulCase{ElementType::Q5_K, 256 * 2},
                      MatmulCase{ElementType::Q4_1, 32 * 5}, MatmulCase{ElementType::Q5_0, 32 * 11},
                      MatmulCase{ElementType::Q5_1, 32 * 7}, MatmulCase{ElementType::Q2_K, 256 * 3},
                      MatmulCase{ElementType::Q3_K, 256 * 5}, MatmulCase{ElementType::BF16, 137}),
    [](const auto& info) { return std::string(traits_of(info.param.type).name); });

}  // namespace
}  // namespace weft::tensor
