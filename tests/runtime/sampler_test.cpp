#include "runtime/sampler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "weft/error.hpp"

namespace weft::runtime {
namespace {

constexpr float kMasked = -std::numeric_limits<float>::infinity();

std::vector<float> random_spread_logits(size_t count, uint64_t seed, float spread) {
  std::mt19937_64 engine(seed);
  std::vector<float> logits(count);
  // Test inputs only: any spread of values will do, so a platform's distribution is fine.
  std::normal_distribution<float> normal(0.0f, spread);
  for (auto& logit : logits) logit = normal(engine);
  return logits;
}

SamplerConfig plain_config() {
  SamplerConfig config;
  config.temperature = 1.0f;
  config.top_k = 0;
  config.top_p = 1.0f;
  config.min_p = 0.0f;
  config.seed = 1;
  return config;
}

// The filtered distribution computed from the definitions, by brute force in double:
// rank by a stable sort, softmax over the top-k, then top-p over the sorted probabilities, then
// min-p against the largest probability, then renormalise.
std::map<TokenId, double> reference_distribution(const std::vector<float>& logits,
                                                 const SamplerConfig& config) {
  const size_t n = logits.size();
  std::vector<TokenId> kept(n);
  for (size_t i = 0; i < n; ++i) kept[i] = static_cast<TokenId>(i);
  std::stable_sort(kept.begin(), kept.end(),
                   [&](TokenId a, TokenId b) { return logits[a] > logits[b]; });
  if (config.top_k != 0 && config.top_k < n) kept.resize(config.top_k);
  std::map<TokenId, double> probability;
  double sum = 0.0;
  for (TokenId id : kept) sum += std::exp(static_cast<double>(logits[id]) / config.temperature);
  for (TokenId id : kept) {
    probability[id] = std::exp(static_cast<double>(logits[id]) / config.temperature) / sum;
  }
  if (config.top_p < 1.0f) {
    std::vector<std::pair<double, TokenId>> by_probability;
    for (auto [id, p] : probability) by_probability.push_back({-p, id});
    std::sort(by_probability.begin(), by_probability.end());
    std::map<TokenId, double> nucleus;
    double mass = 0.0;
    for (auto [negative_p, id] : by_probability) {
      nucleus[id] = -negative_p;
      mass += -negative_p;
      if (mass >= config.top_p) break;
    }
    probability = nucleus;
  }
  if (config.min_p > 0.0f) {
    double best = 0.0;
    for (auto [id, p] : probability) best = std::max(best, p);
    std::erase_if(probability,
                  [&](const auto& entry) { return entry.second < config.min_p * best; });
  }
  double total = 0.0;
  for (auto [id, p] : probability) total += p;
  for (auto& [id, p] : probability) p /= total;
  return probability;
}

void expect_distribution_matches_reference(const std::vector<float>& logits,
                                           const SamplerConfig& config) {
  Sampler sampler(config);
  SamplingScratch scratch;
  auto got = sampler.distribution(logits, scratch);
  auto expected = reference_distribution(logits, config);
  std::map<TokenId, double> got_map;
  for (const auto& candidate : got) got_map[candidate.id] = candidate.value;
  ASSERT_EQ(got_map.size(), expected.size())
      << "top_k=" << config.top_k << " top_p=" << config.top_p << " min_p=" << config.min_p;
  for (auto [id, p] : expected) {
    ASSERT_TRUE(got_map.contains(id)) << "token " << id << " should survive the filters";
    EXPECT_NEAR(got_map[id], p, 1e-5) << "token " << id;
  }
}

TEST(Sampler, GreedyTakesTheLowestIdAmongTiedMaxima) {
  SamplerConfig config = plain_config();
  config.temperature = 0.0f;
  Sampler sampler(config);
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 3.0f, 1.0f, 3.0f, 3.0f};
  EXPECT_EQ(sampler.sample(logits), 3);
  std::vector<float> all_equal(9, 0.25f);
  EXPECT_EQ(sampler.sample(all_equal), 0);
}

TEST(Sampler, GreedyAppliesPenaltiesFirst) {
  SamplerConfig config = plain_config();
  config.temperature = 0.0f;
  config.repeat_penalty = 2.0f;
  Sampler sampler(config);
  std::vector<TokenId> prompt = {3};
  sampler.observe_prompt(prompt);
  // 3.0 / 2 = 1.5 now loses to 2.0.
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 3.0f};
  EXPECT_EQ(sampler.sample(logits), 1);
}

TEST(Sampler, FiltersKeepExactlyTheSetsTheirDefinitionsGive) {
  struct Case {
    uint32_t top_k;
    float temperature, top_p, min_p;
  };
  const Case cases[] = {
      {0, 1.0f, 1.0f, 0.0f}, {5, 1.0f, 1.0f, 0.0f},   {17, 0.7f, 1.0f, 0.0f},
      {0, 1.0f, 0.5f, 0.0f}, {0, 1.3f, 0.9f, 0.0f},   {0, 1.0f, 1.0f, 0.1f},
      {0, 0.5f, 1.0f, 0.3f}, {20, 1.0f, 0.8f, 0.05f}, {40, 0.8f, 0.95f, 0.05f},
      {1, 1.0f, 1.0f, 0.0f}, {0, 1.0f, 0.0f, 0.0f},   {200, 1.0f, 1.0f, 0.0f},
  };
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto logits = random_spread_logits(100, seed, 2.0f);
    for (const auto& c : cases) {
      SamplerConfig config = plain_config();
      config.top_k = c.top_k;
      config.temperature = c.temperature;
      config.top_p = c.top_p;
      config.min_p = c.min_p;
      expect_distribution_matches_reference(logits, config);
    }
  }
}

TEST(Sampler, FiltersOverALargeFlatVocabularyKeepTheRightSets) {
  // A flat row needs thousands of tokens to reach the top-p mass (the histogram path), and
  // a large k takes the selection path rather than the small-k heap.
  auto logits = random_spread_logits(5000, 99, 0.1f);
  for (uint32_t k : {0u, 300u, 2000u}) {
    for (float p : {0.3f, 0.9f, 0.999f, 1.0f}) {
      SamplerConfig config = plain_config();
      config.top_k = k;
      config.top_p = p;
      config.min_p = p == 1.0f ? 0.8f : 0.0f;
      expect_distribution_matches_reference(logits, config);
    }
  }
}

TEST(Sampler, TopKKeepsTheLowerIdsAmongTiesAtTheBoundary) {
  SamplerConfig config = plain_config();
  config.top_k = 2;
  std::vector<float> logits = {1.0f, 2.0f, 1.0f, 2.0f, 2.0f};
  expect_distribution_matches_reference(logits, config);
  Sampler sampler(config);
  SamplingScratch scratch;
  auto kept = sampler.distribution(logits, scratch);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].id, 1);
  EXPECT_EQ(kept[1].id, 3);
}

// Masses that are exact in binary: 0.5 + 0.25 reaches p = 0.75 exactly, so the prefix ends
// there ("reaches" is >=); a > comparison would also keep the third token. Of the two tied
// at 0.25, the lower id stays.
TEST(Sampler, TopPStopsWhereTheMassReachesPExactly) {
  std::vector<Candidate> candidates = {{0.25f, 4}, {0.5f, 7}, {0.25f, 2}};
  TopPWorkspace work;
  auto kept = sampling::keep_top_p(candidates, 0.75f, work);
  ASSERT_EQ(kept.size(), 2u);
  std::vector<TokenId> ids = {kept[0].id, kept[1].id};
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<TokenId>{2, 7}));
}

// Pearson's statistic of observed counts against expected probabilities; with a fixed seed
// the outcome is deterministic, and the bound (df + 8 sqrt(2 df)) sits far in the tail.
void expect_draws_follow(Sampler& sampler, const std::vector<float>& logits,
                         const std::map<TokenId, double>& expected, int draws) {
  std::map<TokenId, int> counts;
  for (int i = 0; i < draws; ++i) ++counts[sampler.sample(logits)];
  for (auto [id, count] : counts) {
    ASSERT_TRUE(expected.contains(id)) << "drew token " << id << " that the filters remove";
  }
  double chi_square = 0.0;
  for (auto [id, p] : expected) {
    double want = p * draws;
    double diff = counts[id] - want;
    chi_square += diff * diff / want;
  }
  double df = static_cast<double>(expected.size() - 1);
  EXPECT_LT(chi_square, df + 8.0 * std::sqrt(2.0 * std::max(df, 1.0)));
}

TEST(Sampler, DrawsFollowTheFilteredSoftmax) {
  auto logits = random_spread_logits(30, 7, 1.5f);
  const SamplerConfig configs[] = {
      [] {
        auto c = plain_config();
        c.top_k = 12;
        c.top_p = 0.9f;
        c.min_p = 0.05f;
        c.temperature = 0.9f;
        return c;
      }(),
      [] {
        auto c = plain_config();
        c.temperature = 1.5f;
        return c;
      }(),
  };
  for (auto config : configs) {
    config.seed = 12345;
    Sampler sampler(config);
    expect_draws_follow(sampler, logits, reference_distribution(logits, config), 200000);
  }
}

TEST(Sampler, MaskedTokensAreNeverDrawn) {
  SamplerConfig config = plain_config();
  Sampler sampler(config);
  std::vector<float> logits = {kMasked, 0.0f, kMasked, 0.0f, std::nanf("")};
  for (int i = 0; i < 1000; ++i) {
    TokenId token = sampler.sample(logits);
    EXPECT_TRUE(token == 1 || token == 3) << token;
  }
}

TEST(Sampler, AllMaskedIsAnErrorNotACrash) {
  std::vector<float> logits(4, kMasked);
  Sampler sampler(plain_config());
  EXPECT_THROW(sampler.sample(logits), Error);
  SamplerConfig greedy = plain_config();
  greedy.temperature = 0.0f;
  Sampler greedy_sampler(greedy);
  EXPECT_THROW(greedy_sampler.sample(logits), Error);
}

// Penalised logits read back through an unfiltered distribution at temperature 1, compared
// with the softmax of logits penalised by hand from the definitions.
std::vector<double> softmax_of(const std::vector<double>& logits) {
  double sum = 0.0;
  for (double x : logits) sum += std::exp(x);
  std::vector<double> p;
  for (double x : logits) p.push_back(std::exp(x) / sum);
  return p;
}

void expect_penalised(Sampler& sampler, const std::vector<float>& logits,
                      const std::vector<double>& hand_penalised) {
  SamplingScratch scratch;
  auto got = sampler.distribution(logits, scratch);
  auto want = softmax_of(hand_penalised);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& candidate : got) {
    EXPECT_NEAR(candidate.value, want[candidate.id], 1e-6) << "token " << candidate.id;
  }
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOnce) {
  SamplerConfig config = plain_config();
  config.repeat_penalty = 2.0f;
  Sampler sampler(config);
  std::vector<TokenId> prompt = {0, 1, 1, 1};  // token 1 repeated: still penalised once
  sampler.observe_prompt(prompt);
  std::vector<float> logits = {2.0f, -1.0f, 0.5f, 3.0f};
  expect_penalised(sampler, logits, {2.0 / 2, -1.0 * 2, 0.5, 3.0});
}

TEST(Sampler, RepetitionPenaltySeesOnlyTheLastNTokens) {
  SamplerConfig config = plain_config();
  config.repeat_penalty = 1.5f;
  config.repeat_last_n = 2;
  Sampler sampler(config);
  std::vector<TokenId> prompt = {3, 0};
  sampler.observe_prompt(prompt);
  sampler.accept(2);  // window is now {0, 2}; 3 has left it
  std::vector<float> logits = {2.0f, -1.0f, 0.5f, 3.0f};
  expect_penalised(sampler, logits, {2.0 / 1.5, -1.0, 0.5 / 1.5, 3.0});
}

TEST(Sampler, FrequencyAndPresencePenaltiesCountGeneratedTokensOnly) {
  SamplerConfig config = plain_config();
  config.frequency_penalty = 0.5f;
  config.presence_penalty = 0.25f;
  Sampler sampler(config);
  std::vector<TokenId> prompt = {0, 0, 0};
  sampler.observe_prompt(prompt);
  sampler.accept(3);
  sampler.accept(2);
  sampler.accept(3);
  std::vector<float> logits = {2.0f, -1.0f, 0.5f, 3.0f};
  // mu[j] - c[j] * frequency - (c[j] > 0) * presence
  expect_penalised(sampler, logits, {2.0, -1.0, 0.5 - 0.5 - 0.25, 3.0 - 2 * 0.5 - 0.25});
}

std::vector<TokenId> sample_run(uint64_t seed, int length) {
  SamplerConfig config = plain_config();
  config.seed = seed;
  config.repeat_penalty = 1.1f;
  Sampler sampler(config);
  auto logits = random_spread_logits(1000, 5, 1.0f);
  std::vector<TokenId> run;
  for (int i = 0; i < length; ++i) {
    run.push_back(sampler.sample(logits));
    sampler.accept(run.back());
  }
  return run;
}

TEST(Sampler, TheSameSeedReproducesARunAndOtherSeedsDiffer) {
  EXPECT_EQ(sample_run(42, 200), sample_run(42, 200));
  EXPECT_NE(sample_run(42, 200), sample_run(43, 200));
}

TEST(SeededRandom, FollowsTheStandardMt19937_64Sequence) {
  // [rand.predef]: the 10000th output of a default-constructed mt19937_64 (seed 5489) is
  // 9981545732273789042; uniform() is its top 53 bits scaled by 2^-53.
  SeededRandom random(5489);
  for (int i = 1; i < 10000; ++i) random.uniform();
  EXPECT_EQ(random.uniform(),
            static_cast<double>(9981545732273789042ull >> 11) / 9007199254740992.0);
}

TEST(SeededRandom, StaysInTheUnitInterval) {
  SeededRandom random(7);
  for (int i = 0; i < 100000; ++i) {
    double u = random.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(SamplerConfig, FillsDefaultsAndKeepsAGivenSeed) {
  GenerationOptions options;
  options.seed = 77;
  options.top_k = 5;
  auto config = SamplerConfig::from_options(options);
  EXPECT_EQ(config.seed, 77u);
  EXPECT_EQ(config.top_k, 5u);
  EXPECT_EQ(config.temperature, SamplerConfig{}.temperature);
}

TEST(SamplerConfig, RejectsOutOfRangeValuesNamingTheOption) {
  auto rejects = [](auto set, const std::string& name) {
    GenerationOptions options;
    set(options);
    try {
      SamplerConfig::from_options(options);
      ADD_FAILURE() << name << " was accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::invalid_request);
      EXPECT_NE(std::string(error.what()).find(name), std::string::npos) << error.what();
    }
  };
  rejects([](auto& o) { o.temperature = -0.5f; }, "temperature");
  rejects([](auto& o) { o.temperature = std::nanf(""); }, "temperature");
  rejects([](auto& o) { o.top_p = 1.5f; }, "top_p");
  rejects([](auto& o) { o.min_p = -0.1f; }, "min_p");
  rejects([](auto& o) { o.repeat_penalty = 0.0f; }, "repeat_penalty");
  rejects([](auto& o) { o.frequency_penalty = std::numeric_limits<float>::infinity(); },
          "frequency_penalty");
  rejects([](auto& o) { o.presence_penalty = std::nanf(""); }, "presence_penalty");
}

}  // namespace
}  // namespace weft::runtime
