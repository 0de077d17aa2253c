// Draft-model speculation (weft/draft_speculator.hpp) with weft::Generator: on every fixture
// architecture the greedy tokens are the fixture's independent float64 continuation, with a
// quantised draft and with the file itself as its own draft; sampled tokens follow the
// target's distribution, by a chi-square test against the exact marginal distribution that
// also rejects deliberately biased samplers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include <unistd.h>

#include "model/synthetic/model_shape.hpp"
#include "model/synthetic/synthetic_model.hpp"
#include "model/synthetic/type_recipe.hpp"
#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "weft/draft_speculator.hpp"
#include "weft/error.hpp"
#include "weft/generator.hpp"

namespace weft {
namespace {

std::vector<int32_t> until_stop(const std::vector<int32_t>& tokens, const ContextRuntime& runtime) {
  const auto stops = runtime.stop_tokens();
  std::vector<int32_t> kept;
  for (int32_t id : tokens) {
    if (std::ranges::binary_search(stops, id)) break;
    kept.push_back(id);
  }
  return kept;
}

struct Generated {
  std::vector<int32_t> tokens;
  SpeculationStats speculation;
};

Generated generate_with(ContextRuntime& runtime, std::span<const int32_t> prompt,
                        GeneratorOptions options) {
  auto context = runtime.create();
  context.append(prompt);
  Generator generator(runtime, context, options);
  while (generator.step()) {
  }
  return {generator.tokens(), generator.speculation()};
}

GeneratorOptions greedy_generator_options(uint32_t max_tokens, Speculator* speculator) {
  GeneratorOptions options;
  options.sampling.temperature = 0.0f;
  options.sampling.max_tokens = max_tokens;
  options.speculator = speculator;
  return options;
}

class DraftModelGreedy : public ::testing::TestWithParam<test::FixtureModel> {
 protected:
  // The target as the exactness tests run it: reference kernels, F32 KV cache.
  static std::shared_ptr<ContextRuntime> open_target(const test::FixtureModel& fixture) {
    return ContextRuntime::open({.model_path = fixture.gguf.string(),
                                 .context_length = fixture.context_length(),
                                 .threads = 2,
                                 .kv_f32 = true,
                                 .reference_kernels = true});
  }
  // A draft with the fast kernels and the default F16 cache.
  static std::shared_ptr<ContextRuntime> open_draft(const std::filesystem::path& path,
                                                    int64_t context_length) {
    return ContextRuntime::open(
        {.model_path = path.string(), .context_length = context_length, .threads = 2});
  }
};

TEST_P(DraftModelGreedy, GivesTheIndependentContinuationWithAQuantisedOrTheSameDraft) {
  const auto& fixture = GetParam();
  auto target = open_target(fixture);
  const auto prompt = test::read_token_ids(fixture.reference("tokens.txt"));
  const auto expected =
      until_stop(test::read_token_ids(fixture.reference("exact.greedy.txt")), *target);
  const auto length = static_cast<uint32_t>(expected.size());

  // Q8_0 where the fixture has it (stories260K has F16).
  auto quantised = fixture.gguf.parent_path() / (fixture.arch + "-q8_0.gguf");
  if (!std::filesystem::exists(quantised)) {
    quantised = fixture.gguf.parent_path() / (fixture.arch + "-f16.gguf");
  }
  ASSERT_TRUE(std::filesystem::exists(quantised)) << quantised;
  DraftModelSpeculator q8_drafts(*target, open_draft(quantised, fixture.context_length()),
                                 {.draft_tokens = 4});
  const auto with_q8 = generate_with(*target, prompt, greedy_generator_options(length, &q8_drafts));
  EXPECT_EQ(with_q8.tokens, expected) << quantised.filename();
  EXPECT_GT(with_q8.speculation.drafted, 0u);

  DraftModelSpeculator same_drafts(*target, open_draft(fixture.gguf, fixture.context_length()),
                                   {.draft_tokens = 5});
  const auto with_same =
      generate_with(*target, prompt, greedy_generator_options(length, &same_drafts));
  EXPECT_EQ(with_same.tokens, expected) << "the file as its own draft";
  // The same weights propose the target's own tokens (up to kernel rounding): most drafts
  // are kept, and the continuation takes far fewer target passes than tokens.
  EXPECT_GE(with_same.speculation.accepted * 4, with_same.speculation.drafted * 3);
  EXPECT_LT(with_same.speculation.passes * 2, with_same.tokens.size());
  std::printf(
      "[ measured ] %s: %s draft %zu/%zu accepted in %zu passes; same file %zu/%zu "
      "in %zu passes (%zu tokens)\n",
      fixture.name().c_str(), quantised.filename().c_str(), with_q8.speculation.accepted,
      with_q8.speculation.drafted, with_q8.speculation.passes, with_same.speculation.accepted,
      with_same.speculation.drafted, with_same.speculation.passes, with_same.tokens.size());
}

TEST_P(DraftModelGreedy, NgramLookupGivesTheIndependentContinuation) {
  const auto& fixture = GetParam();
  auto target = open_target(fixture);
  const auto prompt = test::read_token_ids(fixture.reference("tokens.txt"));
  const auto expected =
      until_stop(test::read_token_ids(fixture.reference("exact.greedy.txt")), *target);
  NgramSpeculator lookup(3, 4);
  const auto run = generate_with(
      *target, prompt, greedy_generator_options(static_cast<uint32_t>(expected.size()), &lookup));
  EXPECT_EQ(run.tokens, expected);
}

INSTANTIATE_TEST_SUITE_P(EveryArchitecture, DraftModelGreedy,
                         ::testing::ValuesIn(test::float32_fixture_models()),
                         [](const auto& info) { return info.param.arch; });

// A one-layer random-weight llama model with a generated placeholder vocabulary.
std::filesystem::path write_placeholder_model(uint32_t vocab) {
  model::synthetic::SyntheticOptions options;
  options.shape = model::synthetic::custom_shape("llama");
  options.shape.embedding = 32;
  options.shape.layers = 1;
  options.shape.heads = 2;
  options.shape.kv_heads = 2;
  options.shape.feed_forward = 64;
  options.shape.vocab = vocab;
  options.recipe = *model::synthetic::parse_type_recipe("f32");
  options.threads = 1;
  const auto path =
      std::filesystem::temp_directory_path() /
      ("weft-placeholder-" + std::to_string(vocab) + "-" + std::to_string(::getpid()) + ".gguf");
  model::synthetic::SyntheticModel::generate(options).write(path.string());
  return path;
}

TEST(DraftModelSpeculatorTest, DifferentVocabulariesAreAnErrorNamingBothModels) {
  auto target = ContextRuntime::open(
      {.model_path = test::shared_path("models/stories260K/stories260K-f32.gguf").string(),
       .threads = 1});
  ASSERT_EQ(target->vocabulary_size(), 512);
  // The same size with other token texts, and another size.
  for (const uint32_t vocab : {512u, 300u}) {
    const auto path = write_placeholder_model(vocab);
    auto draft = ContextRuntime::open({.model_path = path.string(), .threads = 1});
    std::filesystem::remove(path);
    try {
      DraftModelSpeculator speculator(*target, draft);
      ADD_FAILURE() << "a draft with another vocabulary of " << vocab << " tokens was taken";
    } catch (const Error& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("draft model \"" + draft->model_name() + "\""), std::string::npos)
          << message;
      EXPECT_NE(message.find("target model \"" + target->model_name() + "\""), std::string::npos)
          << message;
      EXPECT_NE(message.find(vocab == 512 ? " in the draft and " : "(300 and 512 tokens)"),
                std::string::npos)
          << message;
    }
  }
}

TEST(DraftModelSpeculatorTest, OptionsOutOfRangeAreErrors) {
  auto runtime = ContextRuntime::open(
      {.model_path = test::shared_path("models/stories260K/stories260K-f32.gguf").string(),
       .threads = 2});
  EXPECT_THROW(DraftModelSpeculator(*runtime, nullptr), Error);
  EXPECT_THROW(DraftModelSpeculator(*runtime, runtime, {.draft_tokens = 0}), Error);
  EXPECT_THROW(DraftModelSpeculator(*runtime, runtime, {.draft_tokens = 65}), Error);
  EXPECT_THROW(DraftModelSpeculator(*runtime, runtime, {.min_probability = 1.5f}), Error);
  EXPECT_NO_THROW(DraftModelSpeculator(*runtime, runtime, {.draft_tokens = 64}));
}

// Sampling: the second generated token is drawn in a verification pass (the first comes
// from the prompt's logits before any draft). Its marginal distribution under the target,
// sum over t0 of p(t0) p(t1 | t0), is computed exactly from the model's logits; samples over
// a fixed set of seeds are held against it by Pearson's chi-square goodness of fit.
class SpeculativeSampling : public ::testing::Test {
 protected:
  static constexpr int kSeeds = 1500;
  static constexpr const char* kPrompt = "Once upon a time, there was a little";

  static void SetUpTestSuite() {
    // One thread: thousands of tiny passes, where waking a second thread costs more than
    // it saves.
    target_ = ContextRuntime::open(
        {.model_path = test::shared_path("models/stories260K/stories260K-f32.gguf").string(),
         .threads = 1,
         .kv_pages = 256});
    draft_ = ContextRuntime::open(
        {.model_path = test::shared_path("fixtures/stories260K/stories260K-f16.gguf").string(),
         .threads = 1});
    prompt_.emplace(target_->create());
    prompt_->append_text(kPrompt);
  }
  static void TearDownTestSuite() {
    prompt_.reset();
    target_.reset();
    draft_.reset();
  }

  // Plain softmax at temperature 1: no top-k, top-p or min-p cut, and no stop tokens.
  static GeneratorOptions sampling(uint64_t seed, float temperature = 1.0f) {
    GeneratorOptions options;
    options.sampling.max_tokens = 4;
    options.sampling.temperature = temperature;
    options.sampling.top_k = 0;
    options.sampling.top_p = 1.0f;
    options.sampling.min_p = 0.0f;
    options.sampling.seed = seed;
    options.model_stop_tokens = false;
    return options;
  }

  static std::vector<double> softmax(std::span<const float> logits) {
    const double best = *std::ranges::max_element(logits);
    std::vector<double> p(logits.size());
    double sum = 0.0;
    for (size_t i = 0; i < logits.size(); ++i) sum += p[i] = std::exp(logits[i] - best);
    for (double& value : p) value /= sum;
    return p;
  }

  static std::vector<double> second_token_distribution() {
    const auto& base = *prompt_;
    const auto first = softmax(base.logits());
    std::vector<double> second(first.size(), 0.0);
    for (size_t t0 = 0; t0 < first.size(); ++t0) {
      if (first[t0] < 1e-12) continue;
      auto branch = base.fork();
      branch.append(std::vector<int32_t>{static_cast<int32_t>(t0)});
      const auto next = softmax(branch.logits());
      for (size_t t1 = 0; t1 < next.size(); ++t1) second[t1] += first[t0] * next[t1];
    }
    return second;
  }

  // Pearson's statistic of `counts` (kSeeds samples) against `expected` probabilities, with
  // tokens expected fewer than 5 times pooled; and the 0.1 % critical value for its degrees
  // of freedom (Wilson-Hilferty).
  struct ChiSquare {
    double statistic;
    double critical;
  };
  static ChiSquare chi_square(const std::map<int32_t, int>& counts,
                              const std::vector<double>& expected) {
    double statistic = 0.0;
    int categories = 0;
    double pooled_expected = 0.0;
    int pooled_count = 0;
    for (size_t token = 0; token < expected.size(); ++token) {
      const double e = expected[token] * kSeeds;
      const auto found = counts.find(static_cast<int32_t>(token));
      const int observed = found == counts.end() ? 0 : found->second;
      if (e < 5.0) {
        pooled_expected += e;
        pooled_count += observed;
        continue;
      }
      statistic += (observed - e) * (observed - e) / e;
      ++categories;
    }
    statistic += (pooled_count - pooled_expected) * (pooled_count - pooled_expected) /
                 std::max(pooled_expected, 1e-9);
    ++categories;
    const double df = categories - 1;
    const double z = 3.0902;  // the standard normal's 99.9th percentile
    const double h = 2.0 / (9.0 * df);
    return {statistic, df * std::pow(1.0 - h + z * std::sqrt(h), 3.0)};
  }

  static std::map<int32_t, int> second_tokens(Speculator* speculator, float temperature = 1.0f) {
    std::map<int32_t, int> counts;
    for (int seed = 0; seed < kSeeds; ++seed) {
      auto context = prompt_->fork();
      auto options = sampling(static_cast<uint64_t>(seed), temperature);
      options.speculator = speculator;
      Generator generator(*target_, context, options);
      generator.step();
      const auto second = generator.step();
      EXPECT_TRUE(second.has_value());
      if (second) ++counts[*second];
    }
    return counts;
  }

  static std::shared_ptr<ContextRuntime> target_;
  static std::shared_ptr<ContextRuntime> draft_;
  static std::optional<Context> prompt_;  // the prompt, forked for each generation
};

std::shared_ptr<ContextRuntime> SpeculativeSampling::target_;
std::shared_ptr<ContextRuntime> SpeculativeSampling::draft_;
std::optional<Context> SpeculativeSampling::prompt_;

TEST_F(SpeculativeSampling, TheSecondTokenFollowsTheTargetsDistributionAndBiasIsRejected) {
  const auto expected = second_token_distribution();

  const auto plain = chi_square(second_tokens(nullptr), expected);
  DraftModelSpeculator drafts(*target_, draft_, {.draft_tokens = 3});
  const auto speculative_counts = second_tokens(&drafts);
  const auto speculative = chi_square(speculative_counts, expected);
  NgramSpeculator lookup(3, 3);
  const auto looked_up = chi_square(second_tokens(&lookup), expected);
  // A sampler at temperature 0.8 instead of 1: sharper than the target's distribution.
  const auto cooler = chi_square(second_tokens(nullptr, 0.8f), expected);
  // A verifier that trusts the draft: the second token is the draft model's greedy choice
  // after the first sampled one.
  std::map<int32_t, int> trusted;
  for (int seed = 0; seed < kSeeds; ++seed) {
    auto context = prompt_->fork();
    Generator generator(*target_, context, sampling(static_cast<uint64_t>(seed)));
    const auto first = generator.step();
    ASSERT_TRUE(first.has_value());
    drafts.reset();
    drafts.accept(context.tokens());
    const auto proposed = drafts.draft();
    ASSERT_FALSE(proposed.empty());
    ++trusted[proposed.front()];
  }
  const auto trusting = chi_square(trusted, expected);

  std::printf(
      "[ measured ] chi-square (critical %.1f): plain %.1f, draft model %.1f, lookup "
      "%.1f; temperature 0.8 %.1f, trusted drafts %.1f\n",
      plain.critical, plain.statistic, speculative.statistic, looked_up.statistic, cooler.statistic,
      trusting.statistic);
  EXPECT_LT(plain.statistic, plain.critical);
  EXPECT_LT(speculative.statistic, speculative.critical);
  EXPECT_LT(looked_up.statistic, looked_up.critical);
  EXPECT_GT(cooler.statistic, cooler.critical);
  EXPECT_GT(trusting.statistic, trusting.critical);
  EXPECT_GT(drafts.draft_rows(), 0);
}

}  // namespace
}  // namespace weft
