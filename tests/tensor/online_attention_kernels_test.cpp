// The tiled online softmax's x86 kernels, each level that this CPU runs, against double
// precision: the scores of a head group against a tile of keys, and the fold of weights and
// values into each head's running maximum, sum and output; a key's score the same bits
// wherever it lies in a tile (what makes a row's attention independent of its pieces'
// offsets); and the AVX-512 fold the AVX2 fold's bits, as its header says (so both levels'
// attention agree bit for bit).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "support/random_values.hpp"
#include "tensor/cpu_features.hpp"
#include "tensor/x86/online_attention_x86.hpp"

namespace weft::tensor {
namespace {

using test::random_values;

constexpr int64_t kStride = 48;  // score row stride: room for 32 slots rounded up to 16, and more
constexpr double kUnit = 0x1p-24;

struct Level {
  std::string name;
  OnlineAttentionKernels kernels;
  int64_t dim_multiple;
};

std::vector<Level> levels() {
  std::vector<Level> all;
  if (!cpu_has_avx2_fma_f16c()) return all;
  all.push_back({"avx2", {avx2_tile_scores, avx2_online_softmax_fold}, 8});
  if (cpu_features().avx512f)
    all.push_back({"avx512", online_attention_kernels(cpu_features(), 16), 16});
  return all;
}

class OnlineAttentionX86 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (levels().empty()) GTEST_SKIP() << "no AVX2/FMA on this CPU";
  }
};

// Keys for `count` slots plus the block padding the score kernels read past it.
std::vector<float> keys_for(int64_t count, int64_t dim, uint32_t seed) {
  return random_values(static_cast<size_t>((count + 16) * dim), seed, 1.0f);
}

TEST_F(OnlineAttentionX86, ScoresMatchDoublePrecision) {
  for (const Level& level : levels()) {
    for (int64_t dim : {16, 64, 80, 128}) {
      if (dim % level.dim_multiple != 0) continue;
      for (int64_t group : {1, 3, 4, 7, 9}) {
        for (int64_t count : {1, 5, 16, 17, 32}) {
          const auto q = random_values(static_cast<size_t>(group * dim), 1, 1.0f);
          const auto keys = keys_for(count, dim, 2);
          std::vector<float> scores(static_cast<size_t>(group * kStride), NAN);
          level.kernels.tile_scores(q.data(), group, dim, keys.data(), count, 0.125f, scores.data(),
                                    kStride);
          for (int64_t g = 0; g < group; ++g) {
            for (int64_t j = 0; j < count; ++j) {
              double exact = 0, magnitude = 0;
              for (int64_t d = 0; d < dim; ++d) {
                const double product = static_cast<double>(q[g * dim + d]) * keys[j * dim + d];
                exact += product;
                magnitude += std::fabs(product);
              }
              ASSERT_NEAR(scores[g * kStride + j], 0.125 * exact,
                          0.125 * (dim + 2) * kUnit * magnitude)
                  << level.name << " dim " << dim << " group " << group << " count " << count
                  << " head " << g << " key " << j;
            }
          }
        }
      }
    }
  }
}

TEST_F(OnlineAttentionX86, AKeysScoreDoesNotDependOnItsPlaceInTheTile) {
  constexpr int64_t kDim = 64, kGroup = 3, kCount = 32;
  const auto q = random_values(kGroup * kDim, 3, 1.0f);
  const auto keys = keys_for(kCount, kDim, 4);
  for (const Level& level : levels()) {
    std::vector<float> whole(kGroup * kStride);
    level.kernels.tile_scores(q.data(), kGroup, kDim, keys.data(), kCount, 0.125f, whole.data(),
                              kStride);
    for (int64_t shift : {1, 5, 15, 16, 21}) {
      std::vector<float> shifted(kGroup * kStride);
      level.kernels.tile_scores(q.data(), kGroup, kDim, keys.data() + shift * kDim, kCount - shift,
                                0.125f, shifted.data(), kStride);
      for (int64_t g = 0; g < kGroup; ++g) {
        for (int64_t j = shift; j < kCount; ++j)
          ASSERT_EQ(shifted[g * kStride + j - shift], whole[g * kStride + j])
              << level.name << " shift " << shift << " head " << g << " key " << j;
      }
    }
  }
}

// One fold from a state that has seen earlier slots (max, sum, out), with a −∞ score among
// the new ones (a hidden slot), checked against the definition in double precision.
struct FoldCase {
  int64_t group, dim, count;
};

struct FoldResult {
  std::vector<float> max, sum, out;
};

FoldResult fold(const Level& level, const FoldCase& c) {
  auto scores = random_values(static_cast<size_t>(c.group * kStride), 5, 3.0f);
  for (int64_t g = 0; g < c.group; ++g) scores[g * kStride + c.count / 2] = -INFINITY;
  const auto values = random_values(static_cast<size_t>(c.count * c.dim), 6, 1.0f);
  FoldResult r{random_values(static_cast<size_t>(c.group), 7, 2.0f),
               std::vector<float>(static_cast<size_t>(c.group), 3.0f),
               random_values(static_cast<size_t>(c.group * c.dim), 8, 1.0f)};
  level.kernels.online_softmax_fold(scores.data(), kStride, c.group, c.count, values.data(), c.dim,
                                    r.max.data(), r.sum.data(), r.out.data());
  return r;
}

std::vector<FoldCase> fold_cases(int64_t dim_multiple) {
  std::vector<FoldCase> cases;
  for (int64_t dim : {16, 48, 64, 80, 128}) {
    if (dim % dim_multiple != 0) continue;
    for (int64_t group : {1, 2, 4, 5, 7, 8, 9})
      for (int64_t count : {1, 7, 16, 32}) cases.push_back({group, dim, count});
  }
  return cases;
}

TEST_F(OnlineAttentionX86, FoldMatchesDoublePrecision) {
  for (const Level& level : levels()) {
    for (const FoldCase& c : fold_cases(level.dim_multiple)) {
      const FoldResult got = fold(level, c);
      const auto scores = random_values(static_cast<size_t>(c.group * kStride), 5, 3.0f);
      const auto values = random_values(static_cast<size_t>(c.count * c.dim), 6, 1.0f);
      const auto max0 = random_values(static_cast<size_t>(c.group), 7, 2.0f);
      const auto out0 = random_values(static_cast<size_t>(c.group * c.dim), 8, 1.0f);
      for (int64_t g = 0; g < c.group; ++g) {
        double max = max0[g];
        for (int64_t j = 0; j < c.count; ++j)
          if (j != c.count / 2) max = std::max<double>(max, scores[g * kStride + j]);
        const double correction = std::exp(max0[g] - max);
        double sum = 3.0 * correction;
        std::vector<double> weight(static_cast<size_t>(c.count), 0.0);
        for (int64_t j = 0; j < c.count; ++j) {
          if (j != c.count / 2) sum += (weight[j] = std::exp(scores[g * kStride + j] - max));
        }
        const std::string where = level.name + " group " + std::to_string(c.group) + " dim " +
                                  std::to_string(c.dim) + " count " + std::to_string(c.count);
        ASSERT_EQ(got.max[g], static_cast<float>(max)) << where;
        ASSERT_NEAR(got.sum[g], sum, 8 * (c.count + 4) * kUnit * sum) << where;
        for (int64_t d = 0; d < c.dim; ++d) {
          double exact = out0[g * c.dim + d] * correction, magnitude = std::fabs(exact);
          for (int64_t j = 0; j < c.count; ++j) {
            exact += weight[j] * values[j * c.dim + d];
            magnitude += weight[j] * std::fabs(values[j * c.dim + d]);
          }
          ASSERT_NEAR(got.out[g * c.dim + d], exact, 8 * (c.count + 4) * kUnit * magnitude)
              << where << " d " << d;
        }
      }
    }
  }
}

TEST_F(OnlineAttentionX86, TheAvx512FoldGivesTheAvx2FoldsBits) {
  const std::vector<Level> all = levels();
  if (all.size() < 2) GTEST_SKIP() << "no AVX-512F on this CPU";
  for (const FoldCase& c : fold_cases(16)) {
    const FoldResult avx2 = fold(all[0], c), avx512 = fold(all[1], c);
    ASSERT_EQ(avx2.max, avx512.max) << "group " << c.group << " dim " << c.dim;
    ASSERT_EQ(avx2.sum, avx512.sum) << "group " << c.group << " dim " << c.dim;
    ASSERT_EQ(avx2.out, avx512.out) << "group " << c.group << " dim " << c.dim;
  }
}

}  // namespace
}  // namespace weft::tensor
