// The final normalised hidden states, the vectors embeddings pool, checked through the
// fixtures' independent references (../shared/fixtures README §4–6): the logits are
// W_output · hidden (then the final soft-cap), so the engine's hidden rows multiplied by the
// output matrix read straight from the file, in float64, must give the float64 reference
// logits, and for F32 files llama.cpp's too.
#include <gtest/gtest.h>

#include <cstdio>

#include "support/fixture_evaluation.hpp"
#include "support/hidden_states.hpp"

namespace weft {
namespace {

using test::FixtureModel;

// The tolerances of FixtureExactness (model/fixture_exactness_test.cpp) for the same
// references: every file lands below 1e-5 against the float64 logits; llama.cpp's gemma2
// GELU goes through a half-precision table (README §6).
constexpr double kExactHiddenStateTolerance = 1e-4;

double llamacpp_tolerance(const FixtureModel& fixture) {
  return fixture.arch == "gemma2" ? 5e-3 : 1e-4;
}

test::LogitDifference compare(const std::vector<double>& actual,
                              const std::vector<float>& expected) {
  const std::vector<float> rounded(actual.begin(), actual.end());
  return test::compare_logits(rounded, expected);
}

class FixtureHiddenStates : public ::testing::TestWithParam<FixtureModel> {};

TEST_P(FixtureHiddenStates, TimesTheOutputMatrixGiveTheReferenceLogits) {
  const auto& fixture = GetParam();
  const auto hidden = test::fixture_hidden_rows(fixture);
  ASSERT_EQ(hidden.n_rows, 32);
  const auto logits = test::float64_logits(fixture.gguf, hidden);
  ASSERT_EQ(logits.size(), 32u * 512u);

  const auto exact = compare(logits, test::read_f32_file(fixture.reference("exact.logits.f32")));
  std::printf("[ measured ] %s W_output·hidden vs exact: max abs %.3e, mean abs %.3e\n",
              fixture.name().c_str(), exact.max_abs, exact.mean_abs);
  EXPECT_LE(exact.max_abs, kExactHiddenStateTolerance)
      << "worst at row " << exact.worst_index / 512 << " token " << exact.worst_index % 512;
  if (fixture.is_float32()) {
    const auto llamacpp = compare(logits, test::read_f32_file(fixture.reference("logits.f32")));
    std::printf("[ measured ] %s W_output·hidden vs llama.cpp: max abs %.3e\n",
                fixture.name().c_str(), llamacpp.max_abs);
    EXPECT_LE(llamacpp.max_abs, llamacpp_tolerance(fixture));
  }
}

// The fast kernels' hidden states are what a server computes with by default: on F32 files
// (where they round no activations) they must reproduce the float64 logits as tightly.
class FastKernelHiddenStates : public ::testing::TestWithParam<FixtureModel> {};

TEST_P(FastKernelHiddenStates, TimesTheOutputMatrixGiveTheReferenceLogits) {
  const auto& fixture = GetParam();
  const auto hidden = test::fixture_hidden_rows(fixture, tensor::KernelChoice::fast);
  const auto logits = test::float64_logits(fixture.gguf, hidden);
  const auto exact = compare(logits, test::read_f32_file(fixture.reference("exact.logits.f32")));
  std::printf("[ measured ] %s fast kernels W_output·hidden vs exact: max abs %.3e\n",
              fixture.name().c_str(), exact.max_abs);
  EXPECT_LE(exact.max_abs, kExactHiddenStateTolerance);
}

INSTANTIATE_TEST_SUITE_P(AllFixtures, FixtureHiddenStates,
                         ::testing::ValuesIn(test::fixture_models()), test::fixture_test_name);
INSTANTIATE_TEST_SUITE_P(Float32Fixtures, FastKernelHiddenStates,
                         ::testing::ValuesIn(test::float32_fixture_models()),
                         test::fixture_test_name);

}  // namespace
}  // namespace weft
