// The public step-wise Generator and probes (include/weft/generator.hpp, weft/probes.hpp):
// greedy steps reproduce the fixture's independent float64 continuation, accept() follows the
// same stop rules, constraints hold, and the probes agree with a softmax computed here.
#include "weft/generator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"
#include "weft/probes.hpp"

namespace weft {
namespace {

class GeneratorApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    runtime_ = ContextRuntime::open(
        {.model_path = test::shared_path("fixtures/llama/llama-f32.gguf").string(),
         .threads = 2,
         .kv_pages = 64,
         .kv_f32 = true,
         .reference_kernels = true});
  }
  static void TearDownTestSuite() { runtime_.reset(); }

  static std::vector<int32_t> read(const std::string& kind) {
    return test::read_token_ids(
        test::shared_path("fixtures/llama/reference/llama-f32." + kind + ".txt"));
  }
  // The reference continuation up to its first stop token (where a generator stops).
  static std::vector<int32_t> until_stop(const std::vector<int32_t>& ids) {
    const auto stops = runtime_->stop_tokens();
    std::vector<int32_t> out;
    for (int32_t id : ids) {
      if (std::ranges::binary_search(stops, id)) break;
      out.push_back(id);
    }
    return out;
  }

  static std::shared_ptr<ContextRuntime> runtime_;
};

std::shared_ptr<ContextRuntime> GeneratorApi::runtime_;

TEST_F(GeneratorApi, GreedyStepsGiveTheIndependentContinuation) {
  auto context = runtime_->create();
  context.append(read("tokens"));
  GeneratorOptions options;
  options.sampling.temperature = 0.0f;
  options.sampling.max_tokens = 32;
  Generator generator(*runtime_, context, options);
  while (generator.step()) {
  }
  const auto expected = until_stop(read("exact.greedy"));
  EXPECT_EQ(generator.tokens(), expected);
  EXPECT_EQ(generator.stop_reason(),
            expected.size() == 32 ? GeneratorStop::max_tokens : GeneratorStop::stop_token);
  EXPECT_EQ(context.length(), static_cast<int64_t>(read("tokens").size() + expected.size()));
}

TEST_F(GeneratorApi, AcceptTakesTokensUnderTheSameStopRules) {
  auto context = runtime_->create();
  context.append(read("tokens"));
  GeneratorOptions options;
  options.sampling.max_tokens = 3;
  options.model_stop_tokens = false;
  Generator generator(*runtime_, context, options);
  const std::vector<int32_t> chosen = {5, 6, 7, 8, 9};
  EXPECT_EQ(generator.accept(chosen), 3u);
  EXPECT_EQ(generator.stop_reason(), GeneratorStop::max_tokens);
  EXPECT_FALSE(generator.step().has_value());
  auto fresh = runtime_->create();
  auto tokens = read("tokens");
  tokens.insert(tokens.end(), chosen.begin(), chosen.begin() + 3);
  fresh.append(tokens);
  EXPECT_LT(test::compare_logits(context.logits(), fresh.logits()).max_abs, 1e-5);
}

TEST_F(GeneratorApi, StopTokensEndTheGenerationAndAreNotAppended) {
  auto context = runtime_->create();
  context.append(read("tokens"));
  GeneratorOptions options;
  options.stop_tokens = {42};
  options.model_stop_tokens = false;
  Generator generator(*runtime_, context, options);
  const int64_t before = context.length();
  EXPECT_EQ(generator.accept(std::vector<int32_t>{3, 42, 4}), 1u);
  EXPECT_EQ(generator.stop_reason(), GeneratorStop::stop_token);
  EXPECT_EQ(context.length(), before + 1);
}

TEST_F(GeneratorApi, ConstraintsHoldOverTheSampledTokens) {
  auto context = runtime_->create();
  context.append(read("tokens"));
  ConstraintSet constraints;
  constraints.add(Constraint::regex(*runtime_, "[0-9]{1,4}"));
  GeneratorOptions options;
  options.sampling.temperature = 0.8f;
  options.sampling.seed = 3;
  options.sampling.max_tokens = 8;
  Generator generator(*runtime_, context, options, &constraints);
  while (generator.step()) {
  }
  ASSERT_FALSE(generator.tokens().empty());
  for (char c : runtime_->decode(generator.tokens())) EXPECT_TRUE(c >= '0' && c <= '9');
  auto empty = runtime_->create();
  EXPECT_THROW(Generator(*runtime_, empty, {}), Error);
}

TEST(PublicProbes, AgreeWithASoftmaxComputedHere) {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, -2.0f};
  double total = 0;
  for (float value : logits) total += std::exp(static_cast<double>(value) / 2.0);
  const auto all = probes::distribution(logits, 2.0f, 0);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].token, 1);  // ties: lower id first
  EXPECT_EQ(all[1].token, 2);
  EXPECT_NEAR(all[0].value, std::exp(1.5) / total, 1e-6);
  EXPECT_NEAR(all[3].value, std::exp(-1.0) / total, 1e-6);
  double sum = 0;
  for (float value : logits) sum += std::exp(static_cast<double>(value));
  const auto lp = probes::logprobs(logits, std::vector<int32_t>{3});
  EXPECT_NEAR(lp[0], -2.0 - std::log(sum), 1e-5);
  const auto top = probes::top_logprobs(logits, 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].token, 1);
  double h = 0;
  for (float value : logits) {
    const double p = std::exp(static_cast<double>(value)) / sum;
    h -= p * std::log(p);
  }
  EXPECT_NEAR(probes::entropy(logits), h, 1e-9);
  EXPECT_THROW(probes::distribution(logits, 0.0f, 1), Error);
  EXPECT_THROW(probes::logprobs(logits, std::vector<int32_t>{4}), Error);
}

}  // namespace
}  // namespace weft
