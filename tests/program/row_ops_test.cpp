// Greedy sampling in a program's pass (sample_row with an argmax sampler) against a plain
// first-highest search written here: rows with NaN, -inf, +inf and ties, lengths that are not
// a multiple of any lane count, with and without a mask.
#include "program/row_ops.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "weft/error.hpp"

namespace weft::program {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// The first id whose logit is the highest the mask allows; -1 when none beats -inf.
int32_t first_highest(const std::vector<float>& logits, const TokenMask* mask) {
  int32_t best = -1;
  for (size_t id = 0; id < logits.size(); ++id) {
    const auto token = static_cast<int32_t>(id);
    if (mask && !mask->allows(token)) continue;
    if (std::isnan(logits[id]) || logits[id] == -kInf) continue;
    if (best < 0 || logits[id] > logits[static_cast<size_t>(best)]) best = token;
  }
  return best;
}

std::vector<float> random_row(std::mt19937& random, size_t size) {
  std::uniform_int_distribution<int> level(-4, 4);  // few distinct values: many ties
  std::uniform_int_distribution<int> odd(0, 19);
  std::vector<float> row(size);
  for (auto& value : row) {
    const int kind = odd(random);
    value = kind == 0   ? std::numeric_limits<float>::quiet_NaN()
            : kind == 1 ? -kInf
                        : static_cast<float>(level(random)) * 0.5f;
  }
  return row;
}

TEST(GreedyRow, PicksTheFirstHighestLogitIgnoringNaN) {
  std::mt19937 random(11);
  const SamplerSpec argmax;  // kind argmax
  for (size_t size : {1u, 7u, 16u, 17u, 100u, 513u, 4099u}) {
    for (int round = 0; round < 20; ++round) {
      const auto row = random_row(random, size);
      const int32_t expected = first_highest(row, nullptr);
      if (expected < 0) continue;
      EXPECT_EQ(sample_row(row, argmax, nullptr, 0), std::vector<int32_t>{expected})
          << "size " << size << " round " << round;
    }
  }
}

TEST(GreedyRow, PicksTheFirstHighestAllowedLogit) {
  std::mt19937 random(12);
  std::bernoulli_distribution allow(0.3);
  const SamplerSpec argmax;
  for (size_t size : {5u, 64u, 65u, 130u, 1027u}) {
    for (int round = 0; round < 20; ++round) {
      const auto row = random_row(random, size);
      TokenMask mask(static_cast<int64_t>(size), false);
      for (size_t id = 0; id < size; ++id) {
        if (allow(random)) mask.set(static_cast<int32_t>(id), true);
      }
      const int32_t expected = first_highest(row, &mask);
      if (expected < 0) continue;
      EXPECT_EQ(sample_row(row, argmax, &mask, 0), std::vector<int32_t>{expected})
          << "size " << size << " round " << round;
    }
  }
}

TEST(GreedyRow, InfinityWinsAndARowWithNothingToDrawIsRefused) {
  const SamplerSpec argmax;
  const std::vector<float> infinite = {1.0f, kInf, 3.0f, kInf};
  EXPECT_EQ(sample_row(infinite, argmax, nullptr, 0), std::vector<int32_t>{1});
  const std::vector<float> nothing = {-kInf, std::numeric_limits<float>::quiet_NaN(), -kInf};
  EXPECT_THROW(sample_row(nothing, argmax, nullptr, 0), Error);
  const std::vector<float> row = {1.0f, 2.0f, 3.0f};
  TokenMask none(3, false);
  EXPECT_THROW(sample_row(row, argmax, &none, 0), Error);
  TokenMask first_only(3, false);
  first_only.set(0, true);
  EXPECT_EQ(sample_row(row, argmax, &first_only, 0), std::vector<int32_t>{0});
}

}  // namespace
}  // namespace weft::program
