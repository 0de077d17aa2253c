// Packed weights (tensor/x86/packed_weights.hpp): the layout holds exactly the stored codes and
// scales, and both builds of the packed product (VNNI and AVX2) agree with the rounded-activations
// kernels to float32 summation order, on awkward row counts (partial groups, row slices),
// every batch size from 1 to 9 and 1 or 2 threads; a row's result does not depend on its batch.
#include "tensor/x86/packed_weights.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <vector>

#include "support/random_values.hpp"
#include "tensor/cpu_features.hpp"
#include "tensor/formats/half.hpp"
#include "tensor/formats/quant_blocks.hpp"
#include "tensor/kernels.hpp"
#include "tensor/quant_formats.hpp"
#include "tensor/x86/fast_gemm_tiles.hpp"
#include "tensor/x86/fast_matmul_avx2.hpp"

namespace weft::tensor {
namespace {

struct Q4Matrix {
  std::vector<std::byte> stored;
  WeightMatrix w;
};

// Blocks of random bits (every code, scale and minimum pattern) with finite fp16 scales.
Q4Matrix random_rows(ElementType type, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> scale(0.0f, 0.02f);
  const auto set_half = [&](std::byte* at) {
    const float value = scale(rng);
    quantize_row(ElementType::F16, &value, at, 1);
  };
  Q4Matrix m;
  const uint64_t row_bytes = *bytes_for(type, static_cast<uint64_t>(cols));
  m.stored.resize(row_bytes * static_cast<uint64_t>(rows));
  for (auto& byte : m.stored) byte = static_cast<std::byte>(rng());
  for (uint64_t at = 0; at < m.stored.size();) {
    switch (type) {
      case ElementType::Q4_K:
        set_half(&m.stored[at + offsetof(BlockQ4_K, d)]);
        set_half(&m.stored[at + offsetof(BlockQ4_K, dmin)]);
        at += sizeof(BlockQ4_K);
        break;
      case ElementType::Q6_K:
        set_half(&m.stored[at + offsetof(BlockQ6_K, d)]);
        at += sizeof(BlockQ6_K);
        break;
      case ElementType::Q8_0:
        set_half(&m.stored[at + offsetof(BlockQ8_0, d)]);
        at += sizeof(BlockQ8_0);
        break;
      default:
        set_half(&m.stored[at + offsetof(BlockQ4_0, d)]);
        at += sizeof(BlockQ4_0);
    }
  }
  m.w = {type, rows, cols, row_bytes, m.stored.data()};
  return m;
}

std::vector<float> random_activations(int64_t n, uint32_t seed) {
  return test::random_values(static_cast<size_t>(n), seed, 1.0f);
}

// Block `b` of `row` read back from its packed group of eight rows (Q4_0, Q8_0: the eight
// scales, then the codes in 4-byte chunks, one chunk of each row in turn).
template <typename Block>
Block unpacked_block(const std::byte* group, int64_t b, uint64_t block_bytes, int64_t row) {
  const std::byte* block = group + b * block_bytes;
  Block unpacked{};
  std::memcpy(&unpacked.d, block + 2 * (row % 8), 2);
  for (size_t c = 0; c < sizeof(unpacked.qs) / 4; ++c)
    std::memcpy(unpacked.qs + 4 * c, block + 16 + 32 * c + 4 * (row % 8), 4);
  return unpacked;
}

// Block `b` of `row` as stored; a zero block for rows past the end.
template <typename Block>
Block stored_block(const WeightMatrix& w, int64_t row, int64_t b) {
  Block expected{};
  if (row < w.rows) std::memcpy(&expected, w.row(row) + b * sizeof(Block), sizeof expected);
  return expected;
}

TEST(PackedWeights, Q4_0HoldsTheStoredScalesAndCodesOfEachRow) {
  const Q4Matrix m = random_rows(ElementType::Q4_0, 11, 3 * 32, 5);  // a full and a partial group
  const PackedWeights packed = pack_rows(m.w);
  ASSERT_EQ(packed.size(), 2 * packed_group_bytes(m.w.type, m.w.cols));
  for (int64_t row = 0; row < 16; ++row) {
    const std::byte* group = packed.data() + (row / 8) * packed_group_bytes(m.w.type, m.w.cols);
    for (int64_t b = 0; b < 3; ++b) {
      const auto unpacked = unpacked_block<BlockQ4_0>(group, b, kPackedQ4_0BlockBytes, row);
      const auto expected = stored_block<BlockQ4_0>(m.w, row, b);
      EXPECT_EQ(std::memcmp(&unpacked, &expected, sizeof expected), 0) << row << " " << b;
    }
  }
}

// Q8_0: two full groups and a partial one, packed in one and in two threads, hold the layout
// the header describes.
TEST(PackedWeights, Q8_0HoldsTheStoredScalesAndCodesOfEachRow) {
  if (!packed_products_available(ElementType::Q8_0)) GTEST_SKIP() << "no AVX2 on this CPU";
  const Q4Matrix m = random_rows(ElementType::Q8_0, 21, 5 * 32, 7);
  ThreadPool pool(2);
  for (ThreadPool* threads : {static_cast<ThreadPool*>(nullptr), &pool}) {
    const PackedWeights packed = pack_rows(m.w, {}, threads);
    const uint64_t group_bytes = packed_group_bytes(m.w.type, m.w.cols);
    ASSERT_EQ(packed.size(), 3 * group_bytes);
    for (int64_t row = 0; row < 24; ++row) {
      const std::byte* group = packed.data() + (row / 8) * group_bytes;
      for (int64_t b = 0; b < 5; ++b) {
        const auto unpacked = unpacked_block<BlockQ8_0>(group, b, kPackedQ8_0BlockBytes, row);
        const auto expected = stored_block<BlockQ8_0>(m.w, row, b);
        EXPECT_EQ(std::memcmp(&unpacked, &expected, sizeof expected), 0) << row << " " << b;
      }
    }
  }
}

TEST(PackedWeights, Q4_KHoldsTheStoredScalesMinimumsAndCodesOfEachRow) {
  const Q4Matrix m = random_rows(ElementType::Q4_K, 13, 2 * 256, 6);
  const PackedWeights packed = pack_rows(m.w);
  ASSERT_EQ(packed.size(), 2 * packed_group_bytes(m.w.type, m.w.cols));
  for (int64_t row = 0; row < m.w.rows; ++row) {
    const int64_t lane = row % 8;
    const std::byte* group = packed.data() + (row / 8) * packed_group_bytes(m.w.type, m.w.cols);
    for (int64_t b = 0; b < 2; ++b) {
      const auto* block = reinterpret_cast<const uint8_t*>(group + b * kPackedQ4_KBlockBytes);
      const auto& stored = reinterpret_cast<const BlockQ4_K*>(m.w.row(row))[b];
      EXPECT_EQ(std::memcmp(block + 2 * lane, &stored.d, 2), 0);
      EXPECT_EQ(std::memcmp(block + 16 + 2 * lane, &stored.dmin, 2), 0);
      for (int j = 0; j < 8; ++j) {
        const ScaleMin sm = k4_scale_min(stored.scales, j);
        EXPECT_EQ(block[32 + 8 * j + lane], sm.scale);
        EXPECT_EQ(block[96 + 8 * j + lane], sm.min);
      }
      for (int pair = 0; pair < 4; ++pair)
        for (int c = 0; c < 8; ++c)
          EXPECT_EQ(std::memcmp(block + 160 + 256 * pair + 32 * c + 4 * lane,
                                stored.qs + 32 * pair + 4 * c, 4),
                    0);
    }
  }
}

std::vector<float> product(const WeightMatrix& w, const std::vector<float>& x, int64_t n_rows,
                           unsigned threads, MatmulPath path) {
  ThreadPool pool(threads);
  std::vector<float> out(static_cast<size_t>(n_rows * w.rows));
  avx2_matmul(w, x.data(), n_rows, out.data(), pool, path);
  return out;
}

std::vector<float> yardstick_product(const WeightMatrix& w, const std::vector<float>& x,
                                     int64_t n_rows) {
  ThreadPool pool(1);
  std::vector<float> out(static_cast<size_t>(n_rows * w.rows));
  kernels_for(KernelChoice::rounded_activations).matmul(w, x.data(), n_rows, out.data(), pool);
  return out;
}

// Σ|w·x̃| per output, for the summation-order bound.
std::vector<double> magnitudes(const WeightMatrix& w, const std::vector<float>& x, int64_t n_rows) {
  std::vector<float> weights(static_cast<size_t>(w.cols));
  std::vector<float> rounded = x;
  const Kernels& rounding = kernels_for(KernelChoice::rounded_activations);
  for (int64_t i = 0; i < n_rows; ++i)
    rounding.round_activations(w.type, rounded.data() + i * w.cols, w.cols);
  std::vector<double> out(static_cast<size_t>(n_rows * w.rows));
  for (int64_t r = 0; r < w.rows; ++r) {
    dequantize_row(w.type, w.row(r), weights.data(), w.cols);
    for (int64_t i = 0; i < n_rows; ++i) {
      double sum = 0;
      for (int64_t k = 0; k < w.cols; ++k) sum += std::fabs(weights[k] * rounded[i * w.cols + k]);
      out[static_cast<size_t>(i * w.rows + r)] = sum;
    }
  }
  return out;
}

std::vector<MatmulPath> paths_this_cpu_runs() {
  std::vector<MatmulPath> paths{MatmulPath::avx2_groups};        // the packed AVX2 build
  if (cpu_runs_vnni_tiles()) paths.push_back(MatmulPath::best);  // the VNNI build
  return paths;
}

class PackedProducts : public ::testing::TestWithParam<ElementType> {};

TEST_P(PackedProducts, MatchTheRoundedActivationKernels) {
  const ElementType type = GetParam();
  if (!packed_products_available(type)) GTEST_SKIP() << "no packed products on this CPU";
  const int64_t block = type == ElementType::Q4_0 || type == ElementType::Q8_0 ? 32 : 256;
  for (int64_t rows : {1, 7, 8, 9, 23, 37}) {
    for (int64_t cols : {block, 3 * block, 9 * block}) {
      Q4Matrix m = random_rows(type, rows, cols, static_cast<uint32_t>(rows * 1000 + cols));
      const PackedWeights packed = pack_rows(m.w);
      WeightMatrix w = m.w;
      w.packed = packed.data();
      for (int64_t n_rows : {1, 2, 3, 4, 5, 7, 9, 16, 17}) {
        const auto x = random_activations(n_rows * cols, static_cast<uint32_t>(n_rows));
        const auto expected = yardstick_product(m.w, x, n_rows);
        const auto bound = magnitudes(m.w, x, n_rows);
        for (MatmulPath path : paths_this_cpu_runs()) {
          const auto got = product(w, x, n_rows, 1 + static_cast<unsigned>(n_rows % 2), path);
          for (size_t at = 0; at < got.size(); ++at) {
            ASSERT_NEAR(got[at], expected[at], 1e-5 * bound[at] + 1e-6)
                << rows << "x" << cols << " batch " << n_rows << " output " << at
                << (path == MatmulPath::best ? " (vnni)" : " (avx2)");
          }
        }
      }
    }
  }
}

TEST_P(PackedProducts, ARowsResultIsTheSameInAnyBatchAndSlice) {
  const ElementType type = GetParam();
  if (!packed_products_available(type)) GTEST_SKIP() << "no packed products on this CPU";
  Q4Matrix m = random_rows(type, 45, 2 * 256, 9);
  const PackedWeights packed = pack_rows(m.w);
  WeightMatrix w = m.w;
  w.packed = packed.data();
  // Each row alone runs the one-group tiles; batches of 2 to 16 rows (decoding streams, up to
  // kMaxRowsStreamed) the twin tiles over activation pairs where the CPU has them, an odd
  // count pairing its last row with itself; 17 rows (a prompt) the 512-bit pair tiles. The
  // AVX2 build's Q8_0 runs panels of eight activation rows: 2 to 8 rows fill one in part or
  // whole, 9, 13, 16 and 17 whole panels and a part.
  const int64_t batch = 17;
  const auto x = random_activations(batch * w.cols, 3);
  for (MatmulPath path : paths_this_cpu_runs()) {
    std::vector<std::vector<float>> alone;
    for (int64_t i = 0; i < batch; ++i) {
      const std::vector<float> one(x.begin() + i * w.cols, x.begin() + (i + 1) * w.cols);
      alone.push_back(product(w, one, 1, 1, path));
    }
    for (int64_t rows : {2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17}) {
      const auto together = product(w, x, rows, 2, path);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t r = 0; r < w.rows; ++r)
          ASSERT_EQ(alone[static_cast<size_t>(i)][static_cast<size_t>(r)],
                    together[static_cast<size_t>(i * w.rows + r)])
              << "batch " << rows << " activation row " << i << " output " << r;
    }
    // A slice that starts on a group keeps its packed rows (phi3's fused q/k/v are slices).
    const WeightMatrix slice = w.slice_rows(16, 21);
    ASSERT_NE(slice.packed, nullptr);
    for (int64_t rows : {int64_t{5}, batch}) {
      const auto sliced = product(slice, x, rows, 2, path);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t r = 0; r < slice.rows; ++r)
          ASSERT_EQ(sliced[static_cast<size_t>(i * slice.rows + r)],
                    alone[static_cast<size_t>(i)][static_cast<size_t>(16 + r)]);
    }
    EXPECT_EQ(w.slice_rows(3, 8).packed, nullptr);  // off a group: read as stored
  }
}

// Q8_0 codes at the ends of their range, -128 included (a file may hold it), against
// activations that round to ±127: the int16 pair sums inside the AVX2 products come to within
// 256 of their limits (-32512 where the activation's sign moves onto a code as a mask). With
// a weight scale of 1 and an activation scale of 2^-7 every product and sum is exact in
// float, so each output must equal the integer dot product times 2^-7 exactly.
TEST(PackedProductsQ8_0, ExtremeCodesGiveExactProductsInEveryBatch) {
  if (!packed_products_available(ElementType::Q8_0)) GTEST_SKIP() << "no AVX2 on this CPU";
  constexpr int64_t kRows = 16;
  constexpr int64_t kCols = 64;
  const int8_t extremes[] = {-128, 127, -127, -128, 0, 1, -1, 127};
  std::vector<std::vector<int>> codes(kRows, std::vector<int>(kCols));
  std::vector<std::byte> stored(kRows * (kCols / 32) * sizeof(BlockQ8_0));
  auto* blocks = reinterpret_cast<BlockQ8_0*>(stored.data());
  for (int64_t r = 0; r < kRows; ++r) {
    for (int64_t c = 0; c < kCols; ++c) {
      // Rows 0 to 3 hold one code throughout (-128, 127, -127, -128); the rest mix them.
      const int8_t code = r < 4 ? extremes[r] : extremes[(r * 3 + c * (r % 5 + 1)) % 8];
      codes[static_cast<size_t>(r)][static_cast<size_t>(c)] = code;
      BlockQ8_0& block = blocks[r * (kCols / 32) + c / 32];
      block.d = fp32_to_fp16(1.0f);
      block.qs[c % 32] = code;
    }
  }
  const uint64_t row_bytes = (kCols / 32) * sizeof(BlockQ8_0);
  WeightMatrix w{ElementType::Q8_0, kRows, kCols, row_bytes, stored.data()};
  const PackedWeights packed = pack_rows(w);
  w.packed = packed.data();

  // Activation codes ±127 (every block's largest magnitude is 127, so its scale is 2^-7),
  // some 0 and ±1 between.
  constexpr int64_t kBatch = 17;
  const int activation_codes[] = {127, -127, 127, 127, -127, -127, 0, 1, -1};
  std::vector<int> q(static_cast<size_t>(kBatch * kCols));
  std::vector<float> x(q.size());
  for (int64_t i = 0; i < kBatch; ++i) {
    for (int64_t c = 0; c < kCols; ++c) {
      const int code = c % 32 == 0 ? (i % 2 == 0 ? 127 : -127)
                       : i < 2     ? (i == 0 ? 127 : -127)
                                   : activation_codes[(i * 5 + c * (i % 4 + 1)) % 9];
      q[static_cast<size_t>(i * kCols + c)] = code;
      x[static_cast<size_t>(i * kCols + c)] = static_cast<float>(code) / 128.0f;
    }
  }
  for (MatmulPath path : paths_this_cpu_runs()) {
    for (int64_t n_rows : {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17}) {
      const auto got = product(w, x, n_rows, 1, path);
      for (int64_t i = 0; i < n_rows; ++i) {
        for (int64_t r = 0; r < kRows; ++r) {
          int64_t dot = 0;
          for (int64_t c = 0; c < kCols; ++c)
            dot += int64_t{codes[static_cast<size_t>(r)][static_cast<size_t>(c)]} *
                   q[static_cast<size_t>(i * kCols + c)];
          ASSERT_EQ(got[static_cast<size_t>(i * kRows + r)], static_cast<float>(dot) / 128.0f)
              << "batch " << n_rows << " activation row " << i << " weight row " << r
              << (path == MatmulPath::best ? " (vnni)" : " (avx2)");
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, PackedProducts,
                         ::testing::Values(ElementType::Q4_0, ElementType::Q8_0, ElementType::Q4_K,
                                           ElementType::Q6_K),
                         [](const auto& info) { return std::string(traits_of(info.param).name); });

}  // namespace
}  // namespace weft::tensor
