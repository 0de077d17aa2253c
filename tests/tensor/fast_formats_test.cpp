// The fast kernels on weight blocks of random bits (every code, fifth/high bit, scale and
// minimum pattern, not only what the quantisers produce), against rounded-activations
// (the same rounded activations, scalar float32 sums), for several batch sizes and thread
// counts. fast_kernels_test.cpp covers quantiser-made weights and the reference bound.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <vector>

#include "tensor/formats/element_type.hpp"
#include "tensor/formats/half.hpp"
#include "tensor/formats/mxfp4_quant.hpp"
#include "tensor/formats/quant_blocks.hpp"
#include "tensor/kernels.hpp"
#include "tensor/quant_formats.hpp"

namespace weft::tensor {
namespace {

struct FastFormatCase {
  ElementType type;
  int64_t cols;
};

// Byte offsets of a block's half-precision scale fields; random bits there would make
// infinities and NaNs, which no model file holds.
struct HalfFields {
  uint64_t block_bytes;
  std::vector<uint64_t> offsets;
};

HalfFields half_fields(ElementType type) {
  switch (type) {
    case ElementType::Q4_1:
      return {sizeof(BlockQ4_1), {offsetof(BlockQ4_1, d), offsetof(BlockQ4_1, m)}};
    case ElementType::Q5_0:
      return {sizeof(BlockQ5_0), {offsetof(BlockQ5_0, d)}};
    case ElementType::Q5_1:
      return {sizeof(BlockQ5_1), {offsetof(BlockQ5_1, d), offsetof(BlockQ5_1, m)}};
    case ElementType::Q2_K:
      return {sizeof(BlockQ2_K), {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)}};
    case ElementType::Q3_K:
      return {sizeof(BlockQ3_K), {offsetof(BlockQ3_K, d)}};
    case ElementType::Q5_K:
      return {sizeof(BlockQ5_K), {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)}};
    case ElementType::IQ4_NL:
      return {sizeof(BlockIQ4_NL), {offsetof(BlockIQ4_NL, d)}};
    case ElementType::IQ4_XS:
      return {sizeof(BlockIQ4_XS), {offsetof(BlockIQ4_XS, d)}};
    case ElementType::MXFP4:  // a power-of-two byte, set by random_blocks
      return {sizeof(BlockMXFP4), {}};
    default:  // BF16: every 2-byte value is a scale-like field
      return {2, {0}};
  }
}

std::vector<std::byte> random_blocks(ElementType type, uint64_t bytes, std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::byte> stored(bytes);
  for (auto& b : stored) b = static_cast<std::byte>(byte(rng));
  const HalfFields fields = half_fields(type);
  std::normal_distribution<float> scale(0.0f, type == ElementType::BF16 ? 0.5f : 0.01f);
  for (uint64_t block = 0; block < bytes; block += fields.block_bytes) {
    for (uint64_t offset : fields.offsets) {
      const uint16_t bits =
          type == ElementType::BF16 ? fp32_to_bf16(scale(rng)) : fp32_to_fp16(scale(rng));
      std::memcpy(stored.data() + block + offset, &bits, sizeof bits);
    }
    // MXFP4's E8M0 exponent: scales 2^−9 … 2^0, as model weights have (any byte would
    // overflow).
    if (type == ElementType::MXFP4) stored[block] = static_cast<std::byte>(118 + byte(rng) % 10);
  }
  return stored;
}

class FastFormats : public ::testing::TestWithParam<FastFormatCase> {};

TEST_P(FastFormats, MatchesRoundedActivationsOnRandomBlockBits) {
  const FastFormatCase c = GetParam();
  const int64_t rows = 19;
  const uint64_t row_bytes = *bytes_for(c.type, static_cast<uint64_t>(c.cols));
  std::mt19937 rng(static_cast<uint32_t>(c.cols) * 7919u + static_cast<uint32_t>(c.type));
  std::vector<std::byte> stored = random_blocks(c.type, row_bytes * rows, rng);
  const WeightMatrix w{c.type, rows, c.cols, row_bytes, stored.data()};
  std::vector<float> dequantized(static_cast<size_t>(rows * c.cols));
  for (int64_t r = 0; r < rows; ++r)
    dequantize_row(c.type, stored.data() + r * row_bytes, dequantized.data() + r * c.cols, c.cols);
  // BF16 weights are multiplied with float32 activations, as the reference does.
  const KernelChoice yardstick =
      c.type == ElementType::BF16 ? KernelChoice::reference : KernelChoice::rounded_activations;
  for (int64_t n_rows : {1, 4, 6, 11}) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n_rows * c.cols));
    for (float& v : x) v = normal(rng);
    std::vector<float> x_rounded = x;
    for (int64_t i = 0; i < n_rows; ++i)
      kernels_for(yardstick).round_activations(c.type, x_rounded.data() + i * c.cols, c.cols);
    std::vector<float> expected(static_cast<size_t>(n_rows * rows));
    ThreadPool two(2);
    kernels_for(yardstick).matmul(w, x.data(), n_rows, expected.data(), two);
    for (unsigned threads : {1u, 3u}) {
      ThreadPool pool(threads);
      std::vector<float> fast(expected.size());
      kernels_for(KernelChoice::fast).matmul(w, x.data(), n_rows, fast.data(), pool);
      for (int64_t i = 0; i < n_rows; ++i) {
        for (int64_t r = 0; r < rows; ++r) {
          double magnitude = 0;
          for (int64_t k = 0; k < c.cols; ++k)
            magnitude += std::fabs(dequantized[r * c.cols + k] * x_rounded[i * c.cols + k]);
          const size_t at = static_cast<size_t>(i * rows + r);
          EXPECT_NEAR(fast[at], expected[at], 1e-5 * magnitude + 1e-6)
              << traits_of(c.type).name << " row " << r << " batch " << n_rows << " threads "
              << threads;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Types, FastFormats,
    ::testing::Values(
        FastFormatCase{ElementType::Q4_1, 32 * 13}, FastFormatCase{ElementType::Q5_0, 32 * 3},
        FastFormatCase{ElementType::Q5_1, 32 * 9}, FastFormatCase{ElementType::Q2_K, 256 * 2},
        FastFormatCase{ElementType::Q3_K, 256 * 3}, FastFormatCase{ElementType::Q5_K, 256 * 1},
        FastFormatCase{ElementType::IQ4_NL, 32 * 7}, FastFormatCase{ElementType::IQ4_XS, 256 * 3},
        FastFormatCase{ElementType::MXFP4, 32 * 9}, FastFormatCase{ElementType::BF16, 16 * 7 + 5}),
    [](const auto& info) { return std::string(traits_of(info.param.type).name); });

}  // namespace
}  // namespace weft::tensor
