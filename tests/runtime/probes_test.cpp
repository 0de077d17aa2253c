#include "runtime/probes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "weft/error.hpp"

namespace weft::runtime {
namespace {

constexpr float kMaskedLogit = -std::numeric_limits<float>::infinity();

std::vector<float> random_offset_logits(size_t count, uint64_t seed, float offset) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<float> uniform(-8.0f, 8.0f);
  std::vector<float> logits(count);
  for (auto& logit : logits) logit = uniform(engine) + offset;
  return logits;
}

// Direct formulas in long double without any shift: fine for the moderate rows they get.
std::vector<long double> direct_logprobs(const std::vector<float>& logits) {
  long double sum = 0.0L;
  for (float x : logits) sum += std::exp(static_cast<long double>(x));
  std::vector<long double> result;
  for (float x : logits) result.push_back(std::log(std::exp(static_cast<long double>(x)) / sum));
  return result;
}

TEST(Probes, LogSumExpMatchesTheDirectFormula) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto logits = random_offset_logits(1000, seed, 0.0f);
    long double sum = 0.0L;
    for (float x : logits) sum += std::exp(static_cast<long double>(x));
    EXPECT_NEAR(log_sum_exp(logits), static_cast<double>(std::log(sum)), 1e-9);
  }
}

TEST(Probes, LogSumExpIsStableForLargeLogits) {
  // exp(1000) overflows double; shifting by hand gives the exact answer: 1000 + log(3).
  std::vector<float> logits = {1000.0f, 1000.0f, 1000.0f, kMaskedLogit};
  EXPECT_NEAR(log_sum_exp(logits), 1000.0 + std::log(3.0), 1e-9);
  std::vector<float> masked(3, kMaskedLogit);
  EXPECT_EQ(log_sum_exp(masked), -std::numeric_limits<double>::infinity());
}

TEST(Probes, TokenLogprobsMatchTheDirectFormula) {
  auto logits = random_offset_logits(500, 11, 0.0f);
  auto direct = direct_logprobs(logits);
  std::vector<TokenId> ids = {0, 499, 17, 17, 250};
  auto got = token_logprobs(logits, ids);
  ASSERT_EQ(got.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_NEAR(got[i], static_cast<double>(direct[ids[i]]), 1e-5) << "id " << ids[i];
  }
}

TEST(Probes, ShiftingEveryLogitChangesNoLogprob) {
  auto logits = random_offset_logits(300, 3, 0.0f);
  auto shifted = random_offset_logits(300, 3, 500.0f);
  std::vector<TokenId> ids = {0, 1, 2, 299};
  auto a = token_logprobs(logits, ids);
  auto b = token_logprobs(shifted, ids);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-3);
}

TEST(Probes, TokenLogprobsRejectIdsOutsideTheVocabulary) {
  std::vector<float> logits = {0.0f, 1.0f};
  std::vector<TokenId> too_big = {2};
  std::vector<TokenId> negative = {-1};
  EXPECT_THROW(token_logprobs(logits, too_big), Error);
  EXPECT_THROW(token_logprobs(logits, negative), Error);
}

TEST(Probes, TopLogprobsAreTheKMostLikelyInOrder) {
  auto logits = random_offset_logits(400, 21, 0.0f);
  logits[10] = logits[20] = 9.5f;  // a tie at the top: the lower id comes first
  auto direct = direct_logprobs(logits);
  std::vector<TokenId> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<TokenId>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](TokenId a, TokenId b) { return direct[a] > direct[b]; });
  auto top = top_logprobs(logits, 25);
  ASSERT_EQ(top.size(), 25u);
  EXPECT_EQ(top[0].id, 10);
  EXPECT_EQ(top[1].id, 20);
  for (size_t i = 0; i < top.size(); ++i) {
    EXPECT_EQ(top[i].id, order[i]) << "rank " << i;
    EXPECT_NEAR(top[i].logprob, static_cast<double>(direct[order[i]]), 1e-5);
  }
  EXPECT_EQ(top_logprobs(logits, 10000).size(), logits.size());
}

TEST(Probes, EntropyMatchesTheDirectFormula) {
  auto logits = random_offset_logits(800, 8, 0.0f);
  auto direct = direct_logprobs(logits);
  long double h = 0.0L;
  for (long double lp : direct) h -= std::exp(lp) * lp;
  EXPECT_NEAR(entropy(logits), static_cast<double>(h), 1e-9);
}

TEST(Probes, EntropyOfUniformAndOneHotRows) {
  std::vector<float> uniform(64, 3.0f);
  EXPECT_NEAR(entropy(uniform), std::log(64.0), 1e-12);
  std::vector<float> one_hot(64, kMaskedLogit);
  one_hot[5] = 2.0f;
  EXPECT_EQ(entropy(one_hot), 0.0);
}

TEST(Probes, RunProbesAnswersOnlyWhatWasAsked) {
  auto logits = random_offset_logits(50, 2, 0.0f);
  ProbeRequest request;
  request.top_k = 3;
  request.entropy = true;
  auto result = run_probes(request, logits);
  EXPECT_TRUE(result.logits.empty());
  EXPECT_TRUE(result.token_logprobs.empty());
  EXPECT_EQ(result.top.size(), 3u);
  ASSERT_TRUE(result.entropy.has_value());

  request = {};
  request.logits = true;
  request.token_ids = {4, 9};
  result = run_probes(request, logits);
  EXPECT_EQ(result.logits, logits);
  EXPECT_EQ(result.token_logprobs.size(), 2u);
  EXPECT_TRUE(result.top.empty());
  EXPECT_FALSE(result.entropy.has_value());
}

}  // namespace
}  // namespace weft::runtime
