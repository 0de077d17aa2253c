// Normally distributed test inputs from a fixed seed (weights, activations).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace weft::test {

inline std::vector<float> random_values(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(n);
  for (float& v : values) v = normal(rng);
  return values;
}

}  // namespace weft::test
