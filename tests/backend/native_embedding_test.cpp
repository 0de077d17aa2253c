// Backend::embed on the native backend end to end: the fixtures' reference prompt as text,
// tokenised as the vocabulary asks, pooled from the hidden rows that FixtureHiddenStates
// checks against the independent reference logits; the pooling a GGUF key asks for; the
// errors, each naming the input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "backend/native_backend.hpp"
#include "backend/stub_backend.hpp"
#include "support/hidden_states.hpp"
#include "support/reference_logits.hpp"
#include "support/vector_differences.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

// The fixtures' prompt (README §4): tokenised with BOS it gives their 32 reference ids.
constexpr const char* kPromptText =
    "Once upon a time, there was a little robot who wanted to learn how to paint.";

// Float rounding of float64 means and norms of values below ~4 in magnitude.
constexpr double kEmbeddingTolerance = 1e-6;

std::vector<double> unit(std::vector<double> vector) {
  double squares = 0;
  for (double value : vector) squares += value * value;
  for (double& value : vector) value /= std::sqrt(squares);
  return vector;
}

test::FixtureModel fixture_named(const std::string& arch) {
  for (const auto& fixture : test::float32_fixture_models()) {
    if (fixture.arch == arch) return fixture;
  }
  ADD_FAILURE() << "no " << arch << " F32 fixture";
  return {};
}

// Reference kernels and an F32 cache, the configuration of FixtureHiddenStates.
std::unique_ptr<backend::NativeBackend> loaded(const std::filesystem::path& gguf,
                                               uint32_t context_length) {
  backend::NativeConfig config;
  config.kernels = tensor::KernelChoice::reference;
  config.kv_type = tensor::ElementType::F32;
  auto native = std::make_unique<backend::NativeBackend>(config);
  LoadOptions options;
  options.model_path = gguf.string();
  options.context_length = context_length;
  options.threads = 2;
  native->load(options);
  return native;
}

std::string embed_error(Backend& backend, const EmbeddingRequest& request, ErrorCode code) {
  try {
    backend.embed(request);
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), code) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "embed did not fail";
  return "";
}

class NativeEmbedding : public ::testing::TestWithParam<std::string> {};

TEST_P(NativeEmbedding, TheReferencePromptEmbedsToTheMeanOfItsCheckedRows) {
  const auto fixture = fixture_named(GetParam());
  const auto rows = test::fixture_hidden_rows(fixture);
  auto native = loaded(fixture.gguf, static_cast<uint32_t>(fixture.context_length()));
  const auto tokens = native->tokenizer()->encode(kPromptText, {.add_bos = true});
  ASSERT_EQ(tokens, test::read_token_ids(fixture.reference("tokens.txt")));

  const auto raw = native->embed({.inputs = {kPromptText}, .normalize = false});
  ASSERT_EQ(raw.vectors.size(), 1u);
  EXPECT_EQ(raw.prompt_tokens, 32u);
  const auto mean = test::float64_mean(rows);
  EXPECT_LE(test::max_abs_difference(raw.vectors[0], mean), kEmbeddingTolerance);

  const auto normalized = native->embed({.inputs = {"Once upon a time", kPromptText}});
  ASSERT_EQ(normalized.vectors.size(), 2u);
  EXPECT_EQ(normalized.prompt_tokens, 32u + 5u);  // <s> ▁Once ▁upon ▁a ▁time
  EXPECT_LE(test::max_abs_difference(normalized.vectors[1], unit(mean)), kEmbeddingTolerance);
  double squares = 0;
  for (float value : normalized.vectors[0]) squares += static_cast<double>(value) * value;
  EXPECT_NEAR(std::sqrt(squares), 1.0, kEmbeddingTolerance);
  EXPECT_GT(test::max_abs_difference(normalized.vectors[0], unit(mean)), 1e-3);  // a different text
}

INSTANTIATE_TEST_SUITE_P(Float32Fixtures, NativeEmbedding,
                         ::testing::Values("llama", "stories260K", "gemma2"));

TEST(NativeEmbeddingPooling, FollowsThePoolingTypeOfTheFile) {
  const auto fixture = fixture_named("qwen3");
  const auto rows = test::fixture_hidden_rows(fixture);
  const EmbeddingRequest request{.inputs = {kPromptText}, .normalize = true};
  const test::PoolingTypeCopy last_file(fixture, 3), cls_file(fixture, 2), rank_file(fixture, 4);
  auto last = loaded(last_file.path(), 256);
  EXPECT_LE(test::max_abs_difference(last->embed(request).vectors[0],
                                     unit(test::as_double(rows.row(31)))),
            kEmbeddingTolerance);
  auto cls = loaded(cls_file.path(), 256);
  EXPECT_LE(
      test::max_abs_difference(cls->embed(request).vectors[0], unit(test::as_double(rows.row(0)))),
      kEmbeddingTolerance);
  auto rank = loaded(rank_file.path(), 256);
  EXPECT_NE(
      embed_error(*rank, request, ErrorCode::invalid_request).find("pooling_type is 4 (rank)"),
      std::string::npos);
}

TEST(NativeEmbeddingErrors, NameTheInput) {
  auto native = loaded(fixture_named("llama").gguf, 256);
  EXPECT_EQ(embed_error(*native, {}, ErrorCode::invalid_request),
            "an embedding request needs at least one input");
  EXPECT_EQ(embed_error(*native, {.inputs = {"fine", ""}}, ErrorCode::invalid_request),
            "embedding input 1 is empty");
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += " a";
  const auto too_long =
      embed_error(*native, {.inputs = {"fine", "fine", long_text}}, ErrorCode::invalid_request);
  EXPECT_EQ(too_long.rfind("embedding input 2 has ", 0), 0u) << too_long;
  EXPECT_NE(too_long.find("tokens, more than the context length of 256"), std::string::npos);
  // Nothing ran, and nothing is left behind.
  native->scheduler()->sync();
  EXPECT_EQ(native->scheduler()->stats().pages_in_use, 0);
  EXPECT_EQ(native->scheduler()->stats().steps, 0u);
}

TEST(NativeEmbeddingErrors, WithoutAModelAndOnABackendWithoutEmbeddings) {
  backend::NativeBackend native;
  EXPECT_EQ(embed_error(native, {.inputs = {"x"}}, ErrorCode::backend_unavailable),
            "the native backend has no model loaded");
  backend::StubBackend stub;
  EXPECT_EQ(embed_error(stub, {.inputs = {"x"}}, ErrorCode::invalid_request),
            "the stub backend does not compute embeddings");
}

}  // namespace
}  // namespace weft
