// The vectorised activation rounding against its scalar definition (bit for bit), and both
// AVX2 matrix-product paths (VNNI tiles, AVX2 groups) against the rounded-activations
// kernels on awkward shapes: weight rows that leave partial tiles, one-block rows, and
// every batch size from 1 to 13.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "support/random_values.hpp"
#include "tensor/cpu_features.hpp"
#include "tensor/formats/quant_reference.hpp"
#include "tensor/kernels.hpp"
#include "tensor/quant_formats.hpp"
#include "tensor/x86/activation_quant_avx2.hpp"
#include "tensor/x86/fast_gemm_tiles.hpp"
#include "tensor/x86/fast_matmul_avx2.hpp"

namespace weft::tensor {
namespace {

using test::random_values;

// Random rows plus the cases the rounding must get right: an all-zero block, a block whose
// largest magnitude is negative and repeated with both signs, values that land exactly on
// half steps (ties to even), and tiny values.
std::vector<float> activation_rows(int64_t n, uint32_t seed) {
  auto x = random_values(static_cast<size_t>(n), seed, 1.0f);
  for (int i = 0; i < 32 && i < n; ++i) x[static_cast<size_t>(i)] = 0.0f;
  if (n >= 64) {
    for (int i = 32; i < 64; ++i) x[static_cast<size_t>(i)] = 0.5f * static_cast<float>(i - 48);
    x[40] = -127.0f;
    x[50] = 127.0f;
  }
  if (n >= 96) {
    for (int i = 64; i < 96; ++i) x[static_cast<size_t>(i)] *= 1e-30f;
  }
  return x;
}

bool has_avx2() {
  return cpu_has_avx2_fma_f16c();
}

TEST(ActivationRoundingAvx2, Q8BlocksAreBitIdenticalToTheScalarRounding) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2";
  for (int64_t n : {32, 64, 96, 32 * 37}) {
    const auto x = activation_rows(n, static_cast<uint32_t>(n));
    std::vector<ActivationQ8> scalar(static_cast<size_t>(n / 32));
    std::vector<ActivationQ8> vector(scalar.size());
    quantize_activation_q8(x.data(), scalar.data(), n);
    avx2_quantize_activation_q8(x.data(), vector.data(), n);
    for (size_t b = 0; b < scalar.size(); ++b) {
      EXPECT_EQ(std::memcmp(&scalar[b], &vector[b], sizeof scalar[b]), 0)
          << "n " << n << " b " << b;
    }
    // The scalar rounding is rounded-activations' own: widening the codes gives its values.
    std::vector<float> rounded = x;
    kernels_for(KernelChoice::rounded_activations)
        .round_activations(ElementType::Q8_0, rounded.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const ActivationQ8& block = scalar[static_cast<size_t>(i / 32)];
      EXPECT_EQ(block.d * static_cast<float>(block.qs[i % 32]), rounded[static_cast<size_t>(i)])
          << "value " << i;
    }
  }
}

TEST(ActivationRoundingAvx2, Q8KBlocksAreBitIdenticalToTheReferenceQuantiser) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2";
  // Many random super-blocks: products that land exactly on a half step (rounded once as a
  // float product, then to even) turn up about once in thirty.
  for (int64_t n : {256, 256 * 5, 256 * 40}) {
    for (uint32_t seed : {1u, 2u, 3u, 112u}) {
      auto x = activation_rows(n, seed);
      if (seed == 2) std::fill(x.begin(), x.begin() + 256, 0.0f);  // an all-zero super-block
      if (seed == 3) x[300 % static_cast<size_t>(n)] = -1e3f;      // the maximum is negative
      std::vector<BlockQ8_K> scalar(static_cast<size_t>(n / 256));
      std::vector<BlockQ8_K> vector(scalar.size());
      ref::quantize(x.data(), scalar.data(), n / 256);
      avx2_quantize_q8_k(x.data(), vector.data(), n);
      for (size_t b = 0; b < scalar.size(); ++b)
        EXPECT_EQ(std::memcmp(&scalar[b], &vector[b], sizeof scalar[b]), 0)
            << "n " << n << " seed " << seed << " block " << b;
    }
  }
}

struct Shape {
  ElementType type;
  int64_t cols;
};

class Avx2MatmulPaths : public ::testing::TestWithParam<Shape> {
 protected:
  void SetUp() override {
    if (!has_avx2()) GTEST_SKIP() << "no AVX2";
  }

  struct Problem {
    std::vector<std::byte> stored;
    WeightMatrix w;
    std::vector<float> x;
  };

  static Problem make(const Shape& s, int64_t rows, int64_t n_rows, uint32_t seed) {
    Problem p;
    const uint64_t row_bytes = *bytes_for(s.type, static_cast<uint64_t>(s.cols));
    p.stored.resize(row_bytes * static_cast<uint64_t>(rows));
    const auto source = random_values(static_cast<size_t>(rows * s.cols), seed, 0.5f);
    for (int64_t r = 0; r < rows; ++r)
      quantize_row(s.type, source.data() + r * s.cols, p.stored.data() + r * row_bytes, s.cols);
    p.w = {s.type, rows, s.cols, row_bytes, p.stored.data()};
    p.x = activation_rows(n_rows * s.cols, seed + 1);
    return p;
  }

  static std::vector<float> run_path(const Problem& p, int64_t n_rows, MatmulPath path,
                                     unsigned threads) {
    ThreadPool pool(threads);
    std::vector<float> out(static_cast<size_t>(n_rows * p.w.rows));
    avx2_matmul(p.w, p.x.data(), n_rows, out.data(), pool, path);
    return out;
  }

  // rounded-activations (scalar float32 sums of the same rounded values) and Σ|w·x̃|.
  static void expect_matches_rounded(const Problem& p, int64_t n_rows,
                                     const std::vector<float>& got, const char* what) {
    ThreadPool pool(1);
    std::vector<float> expected(got.size());
    const Kernels& rounded = kernels_for(KernelChoice::rounded_activations);
    rounded.matmul(p.w, p.x.data(), n_rows, expected.data(), pool);
    std::vector<float> x_rounded = p.x;
    std::vector<float> w_row(static_cast<size_t>(p.w.cols));
    for (int64_t i = 0; i < n_rows; ++i)
      rounded.round_activations(p.w.type, x_rounded.data() + i * p.w.cols, p.w.cols);
    for (int64_t r = 0; r < p.w.rows; ++r) {
      dequantize_row(p.w.type, p.w.row(r), w_row.data(), p.w.cols);
      for (int64_t i = 0; i < n_rows; ++i) {
        double magnitude = 0;
        for (int64_t k = 0; k < p.w.cols; ++k)
          magnitude += std::fabs(w_row[static_cast<size_t>(k)] * x_rounded[i * p.w.cols + k]);
        const size_t at = static_cast<size_t>(i * p.w.rows + r);
        ASSERT_NEAR(got[at], expected[at], 1e-5 * magnitude + 1e-6)
            << what << " " << traits_of(p.w.type).name << " rows " << p.w.rows << " batch "
            << n_rows << " out (" << i << ", " << r << ")";
      }
    }
  }
};

TEST_P(Avx2MatmulPaths, BothPathsMatchRoundedActivationsOnAwkwardShapes) {
  const Shape s = GetParam();
  for (int64_t rows : {1, 3, 18, 37}) {
    for (int64_t n_rows = 1; n_rows <= 13; ++n_rows) {
      const Problem p = make(s, rows, n_rows, static_cast<uint32_t>(rows * 100 + n_rows));
      expect_matches_rounded(p, n_rows, run_path(p, n_rows, MatmulPath::best, 2), "best");
      expect_matches_rounded(p, n_rows, run_path(p, n_rows, MatmulPath::avx2_groups, 2), "groups");
    }
  }
}

// Whatever tile or thread share a row lands in, its outputs are the same bits as when it
// is multiplied alone.
TEST_P(Avx2MatmulPaths, EachRowIsBitIdenticalWhateverTheBatch) {
  const Shape s = GetParam();
  const int64_t rows = 37;
  const int64_t n_rows = 11;
  const Problem p = make(s, rows, n_rows, 7);
  for (MatmulPath path : {MatmulPath::best, MatmulPath::avx2_groups}) {
    const auto batched = run_path(p, n_rows, path, 2);
    EXPECT_EQ(batched, run_path(p, n_rows, path, 1));
    for (int64_t batch = 1; batch <= 9; ++batch) {
      for (int64_t first = 0; first + batch <= n_rows; first += 3) {
        Problem part = p;
        part.w.data = part.stored.data();
        part.x.assign(p.x.begin() + first * s.cols, p.x.begin() + (first + batch) * s.cols);
        const auto alone = run_path(part, batch, path, 2);
        for (int64_t i = 0; i < batch * rows; ++i)
          ASSERT_EQ(alone[static_cast<size_t>(i)], batched[static_cast<size_t>(first * rows + i)])
              << "batch " << batch << " from " << first << " output " << i;
      }
    }
  }
}

TEST(VnniTiles, OfferedExactlyForTheirFormats) {
  EXPECT_NE(vnni_tiles_for(ElementType::Q8_0), nullptr);
  EXPECT_NE(vnni_tiles_for(ElementType::Q4_0), nullptr);
  EXPECT_NE(vnni_tiles_for(ElementType::Q4_K), nullptr);
  EXPECT_NE(vnni_tiles_for(ElementType::Q6_K), nullptr);
  EXPECT_EQ(vnni_tiles_for(ElementType::F16), nullptr);
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(cpu_runs_vnni_tiles(),
            cpu_has_avx2_fma_f16c() && f.avx512f && f.avx512vl && f.avx512bw && f.avx512vnni);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, Avx2MatmulPaths,
    ::testing::Values(Shape{ElementType::Q8_0, 32}, Shape{ElementType::Q8_0, 32 * 7},
                      Shape{ElementType::Q4_0, 32}, Shape{ElementType::Q4_0, 32 * 9},
                      Shape{ElementType::Q4_K, 256}, Shape{ElementType::Q4_K, 256 * 3},
                      Shape{ElementType::Q6_K, 256}, Shape{ElementType::Q6_K, 256 * 3}),
    [](const auto& info) {
      return std::string(traits_of(info.param.type).name) + "_" + std::to_string(info.param.cols);
    });

}  // namespace
}  // namespace weft::tensor
