// fp16/bf16 conversions against independent references: the compiler's _Float16 (libgcc's
// IEEE conversion routines) and a nearest-value search in double precision.
#include "tensor/formats/half.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tensor/quant_formats.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

namespace weft::tensor {
namespace {

#if defined(__FLT16_MAX__)
uint16_t reference_fp16_bits(float value) {
  return std::bit_cast<uint16_t>(static_cast<_Float16>(value));
}
float reference_fp16_value(uint16_t bits) {
  return static_cast<float>(std::bit_cast<_Float16>(bits));
}

// dequantize_row widens with F16C where the CPU has it (and with the scalar code elsewhere);
// a row of all 65536 halves, offset by 3 so the vector loop and its tail both see every kind.
TEST(Half, RowWideningMatchesTheReferenceForEveryHalf) {
  std::vector<uint16_t> halves(65536 + 3);
  for (size_t i = 0; i < halves.size(); ++i) halves[i] = static_cast<uint16_t>(i + 65533);
  std::vector<float> widened(halves.size());
  dequantize_row(ElementType::F16, halves.data(), widened.data(),
                 static_cast<int64_t>(halves.size()));
  for (size_t i = 0; i < halves.size(); ++i) {
    const float reference = reference_fp16_value(halves[i]);
    if (std::isnan(reference)) {
      EXPECT_TRUE(std::isnan(widened[i])) << std::hex << halves[i];
    } else {
      EXPECT_EQ(std::bit_cast<uint32_t>(widened[i]), std::bit_cast<uint32_t>(reference))
          << std::hex << halves[i];
    }
  }
}

TEST(Half, EveryHalfWidensExactly) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto half = static_cast<uint16_t>(bits);
    const float ours = fp16_to_fp32(half);
    const float reference = reference_fp16_value(half);
    if (std::isnan(reference)) {
      EXPECT_TRUE(std::isnan(ours)) << std::hex << bits;
    } else {
      EXPECT_EQ(std::bit_cast<uint32_t>(ours), std::bit_cast<uint32_t>(reference))
          << std::hex << bits;
    }
  }
}

TEST(Half, EveryHalfSurvivesARoundTrip) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto half = static_cast<uint16_t>(bits);
    if (std::isnan(fp16_to_fp32(half))) continue;
    EXPECT_EQ(fp32_to_fp16(fp16_to_fp32(half)), half) << std::hex << bits;
  }
}

// Midpoints between neighbouring halves, and the floats just beside them, are where a
// wrong rounding rule shows.
TEST(Half, NarrowingRoundsToNearestEvenAtEveryMidpoint) {
  for (uint32_t bits = 0; bits < 0x7c00; ++bits) {
    for (uint32_t sign : {0u, 0x8000u}) {
      const double low = fp16_to_fp32(static_cast<uint16_t>(bits | sign));
      const double high = fp16_to_fp32(static_cast<uint16_t>((bits + 1) | sign));
      const auto midpoint = static_cast<float>((low + high) / 2);  // exact in float
      for (float probe : {midpoint, std::nextafter(midpoint, 0.0f),
                          std::nextafter(midpoint, std::numeric_limits<float>::infinity()),
                          std::nextafter(midpoint, -std::numeric_limits<float>::infinity())}) {
        ASSERT_EQ(fp32_to_fp16(probe), reference_fp16_bits(probe))
            << "value " << probe << " (bits " << std::hex << std::bit_cast<uint32_t>(probe) << ")";
      }
    }
  }
}

TEST(Half, NarrowingMatchesReferenceOnRandomFloats) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (int i = 0; i < 2'000'000; ++i) {
    const float value = std::bit_cast<float>(any_bits(rng));
    const uint16_t ours = fp32_to_fp16(value);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(fp16_to_fp32(ours)));
      continue;
    }
    ASSERT_EQ(ours, reference_fp16_bits(value)) << value;
  }
}
#endif

TEST(Half, SpecialValues) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(fp32_to_fp16(kInf), 0x7c00);
  EXPECT_EQ(fp32_to_fp16(-kInf), 0xfc00);
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7bff);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);  // the midpoint to 65536 rounds to even: inf
  EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(std::nanf("")))));
  EXPECT_EQ(fp32_to_fp16(0x1p-24f), 0x0001);
  EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);  // tie to even (zero)
  EXPECT_EQ(fp32_to_fp16(0x1.8p-24f), 0x0002);
}

// The bf16 nearest to `value` (ties to even), by comparing distances in double.
uint16_t nearest_bf16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto down = static_cast<uint16_t>(bits >> 16);
  const auto up = static_cast<uint16_t>(down + 1);
  const double below = std::fabs(static_cast<double>(bf16_to_fp32(down)) - value);
  const double above = std::fabs(static_cast<double>(bf16_to_fp32(up)) - value);
  if (std::isnan(above)) return down;  // `up` would be past infinity's pattern
  if (below < above) return down;
  if (above < below) return up;
  return (down & 1) ? up : down;
}

TEST(BFloat16, NarrowingIsNearestEven) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (int i = 0; i < 2'000'000; ++i) {
    float value = std::bit_cast<float>(any_bits(rng));
    if (i % 4 == 0) {  // exact ties
      value = std::bit_cast<float>((std::bit_cast<uint32_t>(value) & 0xffff0000u) | 0x8000u);
    }
    if (std::isnan(value) || std::isinf(value)) continue;
    const uint32_t magnitude = std::bit_cast<uint32_t>(value) & 0x7fffffffu;
    if (magnitude >= 0x7f7f8000u) continue;  // rounds to infinity: checked below
    ASSERT_EQ(fp32_to_bf16(value), nearest_bf16(value)) << value;
  }
}

TEST(BFloat16, SpecialValuesAndWidening) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(fp32_to_bf16(kInf), 0x7f80);
  EXPECT_EQ(fp32_to_bf16(-kInf), 0xff80);
  EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);
  // A NaN whose payload lies only in the low bits must stay NaN, not become infinity.
  const float low_payload_nan = std::bit_cast<float>(0x7f800001u);
  EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(low_payload_nan))));
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float wide = bf16_to_fp32(static_cast<uint16_t>(bits));
    if (std::isnan(wide)) continue;
    ASSERT_EQ(fp32_to_bf16(wide), bits);
  }
}

}  // namespace
}  // namespace weft::tensor
