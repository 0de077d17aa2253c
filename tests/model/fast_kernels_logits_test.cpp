// The fast kernels (the engine default) on every fixture model: against the float64
// reference logits within the error llama.cpp itself shows there (fixtures README §6:
// quantised files 0.10–0.30 max abs, top-1 equal at 87–100% of positions), and against
// llama.cpp's own logits, whose activation rounding they share.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <span>

#include "support/fixture_evaluation.hpp"

namespace weft {
namespace {

// README §6 bounds for llama.cpp against the float64 reference, with a little margin.
constexpr double kMaxAbsVsExact = 0.35;
constexpr double kMeanAbsVsExact = 0.05;
constexpr double kTop1Agreement = 0.85;

double top1_agreement(std::span<const float> actual, std::span<const float> expected,
                      int64_t n_vocab) {
  const size_t rows = expected.size() / static_cast<size_t>(n_vocab);
  size_t same = 0;
  for (size_t row = 0; row < rows; ++row) {
    const auto a = actual.subspan(row * static_cast<size_t>(n_vocab), n_vocab);
    const auto e = expected.subspan(row * static_cast<size_t>(n_vocab), n_vocab);
    same += std::max_element(a.begin(), a.end()) - a.begin() ==
            std::max_element(e.begin(), e.end()) - e.begin();
  }
  return static_cast<double>(same) / static_cast<double>(rows);
}

class FastKernelLogits : public ::testing::TestWithParam<test::FixtureModel> {};

TEST_P(FastKernelLogits, StayWithinLlamaCppsDistanceOfTheExactLogits) {
  const auto& fixture = GetParam();
  const auto result = test::evaluate_fixture_prompt(fixture, tensor::KernelChoice::fast,
                                                    tensor::ElementType::F32, 0);
  const auto exact = test::read_f32_file(fixture.reference("exact.logits.f32"));
  const auto llamacpp = test::read_f32_file(fixture.reference("logits.f32"));
  const auto vs_exact = test::compare_logits(result.prompt_logits, exact);
  const auto vs_llamacpp = test::compare_logits(result.prompt_logits, llamacpp);
  const double top1 = top1_agreement(result.prompt_logits, exact, result.n_vocab);
  const double llamacpp_top1 = top1_agreement(llamacpp, exact, result.n_vocab);
  std::printf(
      "[ measured ] %s fast vs exact: max abs %.3e, mean abs %.3e, top-1 %.0f%% (llama.cpp "
      "%.0f%%); vs llama.cpp: max abs %.3e\n",
      fixture.name().c_str(), vs_exact.max_abs, vs_exact.mean_abs, 100 * top1, 100 * llamacpp_top1,
      vs_llamacpp.max_abs);
  EXPECT_LE(vs_exact.max_abs, kMaxAbsVsExact);
  EXPECT_LE(vs_exact.mean_abs, kMeanAbsVsExact);
  EXPECT_GE(top1, std::min(kTop1Agreement, llamacpp_top1));
}

INSTANTIATE_TEST_SUITE_P(AllFixtures, FastKernelLogits, ::testing::ValuesIn(test::fixture_models()),
                         test::fixture_test_name);

}  // namespace
}  // namespace weft
