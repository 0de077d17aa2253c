// The rounded-activations kernels against llama.cpp's own logits (`.logits.f32`, computed
// with an F32 cache): for the formats whose rounding they reproduce, to float32 precision.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "support/fixture_evaluation.hpp"

namespace weft {
namespace {

// Files whose every matrix is F32, BF16, Q4_0, Q5_0, Q4_K or Q6_K: rounding reproduced, and
// gemma2's half-precision GELU table with them
// (llama-q4_0 is not listed: one 8-bit rounding tie there moves later logits by 0.04).
const std::set<std::string> kReproduced = {
    "llama-f32",  "llama-bf16", "llama-q5_0", "llama-q4_k", "llama-q4_k_m", "llama-q6_k",
    "qwen2-q4_0", "qwen2-f32",  "qwen3-f32",  "phi3-f32",   "gemma2-q4_k_m"};
constexpr double kReproducedTolerance = 2e-5;
// Elsewhere (F16 and Q8_0 weights, Q4_1/Q5_1's half-precision block sums, ties) the README's
// loose sanity bounds for llama.cpp comparisons apply.
constexpr double kLooseMaxAbs = 0.25;
constexpr double kLooseMeanAbs = 0.03;

class RoundedActivations : public ::testing::TestWithParam<test::FixtureModel> {};

TEST_P(RoundedActivations, ReproduceLlamaCppLogits) {
  const auto& fixture = GetParam();
  const auto result = test::evaluate_fixture_prompt(
      fixture, tensor::KernelChoice::rounded_activations, tensor::ElementType::F32, 0);
  const auto difference = test::compare_logits(
      result.prompt_logits, test::read_f32_file(fixture.reference("logits.f32")));
  std::printf("[ measured ] %s rounded activations vs llama.cpp: max abs %.3e, mean abs %.3e\n",
              fixture.name().c_str(), difference.max_abs, difference.mean_abs);
  if (kReproduced.count(fixture.name()) != 0) {
    EXPECT_LE(difference.max_abs, kReproducedTolerance);
  } else {
    EXPECT_LE(difference.max_abs, kLooseMaxAbs);
    EXPECT_LE(difference.mean_abs, kLooseMeanAbs);
  }
}

INSTANTIATE_TEST_SUITE_P(AllFixtures, RoundedActivations,
                         ::testing::ValuesIn(test::fixture_models()), test::fixture_test_name);

}  // namespace
}  // namespace weft
