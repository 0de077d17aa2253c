// Comparing computed vectors with double-precision references.
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include <gtest/gtest.h>

namespace weft::test {

inline std::vector<double> as_double(std::span<const float> values) {
  return {values.begin(), values.end()};
}

// The largest |actual[i] - expected[i]|; a size mismatch is a test failure.
inline double max_abs_difference(std::span<const float> actual, std::span<const double> expected) {
  EXPECT_EQ(actual.size(), expected.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    worst = std::max(worst, std::abs(actual[i] - expected[i]));
  }
  return worst;
}

}  // namespace weft::test
