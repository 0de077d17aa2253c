// Embeddings against llama.cpp's (tests/backend/data/llamacpp-embeddings/README.md: the
// fixtures' reference prompt through llama.cpp's embedding API, F32 cache, unnormalised):
// cosine similarity ≥ 0.9999 and every value within 1e-5 (gemma2 5e-3) on every F32 fixture
// for each pooling, from the engine's hidden rows; cosine ≥ 0.9999 end to end through
// Backend::embed in the default configuration (fast kernels, F16 cache).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "backend/native_backend.hpp"
#include "support/fixture_evaluation.hpp"
#include "support/hidden_states.hpp"
#include "support/reference_logits.hpp"
#include "support/vector_differences.hpp"

namespace weft {
namespace {

constexpr double kMinCosine = 0.9999;

// Element-wise, as FixtureHiddenStates bounds the logits against llama.cpp's: its gemma2 GELU
// goes through a half-precision table (fixtures README §6).
double max_abs_tolerance(const test::FixtureModel& fixture) {
  return fixture.arch == "gemma2" ? 5e-3 : 1e-5;
}

std::vector<float> llamacpp_vector(const test::FixtureModel& fixture, const std::string& pooling) {
  const std::filesystem::path path = std::filesystem::path(WEFT_SOURCE_DIR) / "tests" / "backend" /
                                     "data" / "llamacpp-embeddings" /
                                     (fixture.name() + "." + pooling + ".f32");
  return test::read_f32_file(path);
}

double cosine(std::span<const float> a, std::span<const double> b) {
  EXPECT_EQ(a.size(), b.size());
  double dot = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    dot += a[i] * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += b[i] * b[i];
  }
  return dot / std::sqrt(aa * bb);
}

double max_abs(std::span<const float> a, std::span<const double> b) {
  double worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  return worst;
}

class LlamacppEmbeddings : public ::testing::TestWithParam<test::FixtureModel> {};

// llama.cpp pools a file without the key by "none" and hands back the last row's state; the
// copies with pooling_type 1, 2, 3 give mean, cls and last.
TEST_P(LlamacppEmbeddings, EveryPoolingOfTheHiddenRowsMatches) {
  const auto& fixture = GetParam();
  const auto rows = test::fixture_hidden_rows(fixture);
  const std::vector<std::pair<std::string, std::vector<double>>> ours = {
      {"mean", test::float64_mean(rows)},
      {"cls", test::as_double(rows.row(0))},
      {"last", test::as_double(rows.row(rows.n_rows - 1))},
      {"none", test::as_double(rows.row(rows.n_rows - 1))}};
  for (const auto& [pooling, vector] : ours) {
    const auto theirs = llamacpp_vector(fixture, pooling);
    ASSERT_EQ(theirs.size(), vector.size()) << pooling;
    const double similarity = cosine(theirs, vector);
    std::printf("[ measured ] %s %s vs llama.cpp: cosine 1 - %.2e, max abs %.2e\n",
                fixture.name().c_str(), pooling.c_str(), 1 - similarity, max_abs(theirs, vector));
    EXPECT_GE(similarity, kMinCosine) << pooling;
    EXPECT_LE(max_abs(theirs, vector), max_abs_tolerance(fixture)) << pooling;
  }
}

INSTANTIATE_TEST_SUITE_P(Float32Fixtures, LlamacppEmbeddings,
                         ::testing::ValuesIn(test::float32_fixture_models()),
                         test::fixture_test_name);

// The default native configuration (fast kernels, F16 cache) from text to vector, for each
// pooling the file can ask for.
TEST(LlamacppEmbeddingsEndToEnd, DefaultBackendMatchesForEveryPooling) {
  test::FixtureModel fixture;
  for (const auto& candidate : test::float32_fixture_models()) {
    if (candidate.arch == "llama") fixture = candidate;
  }
  ASSERT_FALSE(fixture.gguf.empty());
  const std::vector<std::pair<uint32_t, std::string>> poolings = {
      {1, "mean"}, {2, "cls"}, {3, "last"}};
  for (const auto& [value, pooling] : poolings) {
    const test::PoolingTypeCopy file(fixture, value);
    backend::NativeBackend native;
    LoadOptions options;
    options.model_path = file.path().string();
    options.threads = 2;
    native.load(options);
    const auto result = native.embed(
        {.inputs = {"Once upon a time, there was a little robot who wanted to learn how to paint."},
         .normalize = false});
    ASSERT_EQ(result.vectors.size(), 1u);
    const auto theirs = llamacpp_vector(fixture, pooling);
    const double similarity = cosine(result.vectors[0], test::as_double(theirs));
    std::printf("[ measured ] llama-f32 %s, default backend vs llama.cpp: cosine 1 - %.2e\n",
                pooling.c_str(), 1 - similarity);
    EXPECT_GE(similarity, kMinCosine) << pooling;
  }
}

}  // namespace
}  // namespace weft
