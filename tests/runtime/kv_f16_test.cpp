// The default F16 KV cache against the float64 references: storing keys and values in
// half precision perturbs the logits a little, never the greedy continuation here.
#include <gtest/gtest.h>

#include <cstdio>

#include "support/fixture_evaluation.hpp"

namespace weft {
namespace {

// Measured max abs difference from the float64 logits with an F16 cache: 2.4e-3 to 4.1e-3
// on the synthetic models (logits within ±5), 1.1e-2 on stories260K (logits up to ~19);
// with an F32 cache all stay below 1e-5.
constexpr double kF16CacheTolerance = 0.02;

class KvF16 : public ::testing::TestWithParam<test::FixtureModel> {};

TEST_P(KvF16, StaysCloseToTheFloat64Reference) {
  const auto& fixture = GetParam();
  const auto result = test::evaluate_fixture_prompt(fixture, tensor::KernelChoice::reference,
                                                    tensor::ElementType::F16, 32);
  const auto difference = test::compare_logits(
      result.prompt_logits, test::read_f32_file(fixture.reference("exact.logits.f32")));
  std::printf("[ measured ] %s F16 KV prompt vs exact: max abs %.3e, mean abs %.3e\n",
              fixture.name().c_str(), difference.max_abs, difference.mean_abs);
  EXPECT_LE(difference.max_abs, kF16CacheTolerance);
  EXPECT_EQ(result.greedy, test::read_token_ids(fixture.reference("exact.greedy.txt")));
}

INSTANTIATE_TEST_SUITE_P(Float32Fixtures, KvF16,
                         ::testing::ValuesIn(test::float32_fixture_models()),
                         [](const auto& info) { return info.param.arch; });

}  // namespace
}  // namespace weft
