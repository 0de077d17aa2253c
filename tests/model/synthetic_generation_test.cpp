// Models written by `weft mkmodel` load in the engine and generate varied text: greedy
// continuations of small explicit shapes of every architecture, with a large real
// vocabulary (SmolLM2's 49 152 tokens) and with a small placeholder one, do not collapse into
// repeating one token.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "model/model.hpp"
#include "model/synthetic/synthetic_model.hpp"
#include "runtime/engine.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "support/shared_files.hpp"
#include "tokenizer/hf_import.hpp"

namespace weft::model::synthetic {
namespace {

constexpr int64_t kGreedyTokens = 32;
// Distinct tokens among the 32 greedy ones, and the longest run of one token, that a
// non-degenerate model must reach. Before the scales depended on depth and vocabulary, the
// audit case (dim 128, 2 layers, 49k vocabulary) repeated one token 20 times in a row.
constexpr size_t kMinDistinct = 16;
constexpr size_t kMaxRun = 4;

struct Greedy {
  std::vector<int32_t> tokens;
  size_t distinct = 0;
  size_t longest_run = 0;
};

Greedy greedy_continuation(const SyntheticOptions& options, const std::vector<int32_t>& prompt) {
  const auto bytes = SyntheticModel::generate(options).writer().to_bytes();
  auto model =
      Model::from_file(gguf::GgufFile::from_buffer(bytes, "mkmodel.gguf"), {.context_length = 128});
  runtime::EngineOptions engine_options;
  engine_options.threads = 2;  // default kernels (fast) and F16 cache, as `weft run` uses
  runtime::Engine engine(model, engine_options);
  auto sequence = engine.new_sequence();
  Greedy result;
  result.tokens = runtime::evaluate_prompt(engine, sequence, prompt, kGreedyTokens, false).greedy;
  result.distinct = std::set<int32_t>(result.tokens.begin(), result.tokens.end()).size();
  size_t run = 0;
  for (size_t i = 0; i < result.tokens.size(); ++i) {
    run = i > 0 && result.tokens[i] == result.tokens[i - 1] ? run + 1 : 1;
    result.longest_run = std::max(result.longest_run, run);
  }
  return result;
}

ModelShape audit_shape(const std::string& architecture) {
  ModelShape shape = custom_shape(architecture);
  shape.embedding = 128;
  shape.layers = 2;
  shape.heads = 4;
  shape.kv_heads = 4;
  shape.feed_forward = 256;
  shape.vocab = 512;
  // qwen3moe: 8 experts of which 2 run (its default 128 would make the file 16 times larger
  // without routing differently).
  if (shape.experts > 0) {
    shape.experts = 8;
    shape.experts_used = 2;
  }
  return shape;
}

// The architectures mkmodel writes that generate text: not the encoders (bert, nomic-bert),
// which have no next-token logits.
std::vector<std::string> generating_architectures() {
  std::vector<std::string> names;
  for (const auto& name : synthetic_architectures()) {
    if (!find_architecture(name)->hooks.encoder) names.push_back(name);
  }
  return names;
}

class SyntheticGeneration : public ::testing::TestWithParam<std::string> {};

TEST_P(SyntheticGeneration, GreedyTextDoesNotCollapseWithALargeVocabulary) {
  SyntheticOptions options;
  options.shape = audit_shape(GetParam());
  options.recipe = *parse_type_recipe("q4_k_m");
  options.threads = 2;
  options.tokenizer = tokenizer::hf_tokenizer_metadata_from_file(
      test::shared_path("models/smollm2-tokenizer/tokenizer.json"));
  // "Once upon a time" in SmolLM2's tokenizer; a BOS-like single token; arbitrary ids.
  const std::vector<std::vector<int32_t>> prompts = {
      {6403, 1980, 253, 655}, {1}, {1, 504, 3100, 288, 253, 4763}};
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    options.seed = seed;
    for (const auto& prompt : prompts) {
      const auto greedy = greedy_continuation(options, prompt);
      std::printf(
          "[ measured ] %s seed %llu prompt of %zu: %zu distinct of %lld, longest run %zu\n",
          GetParam().c_str(), static_cast<unsigned long long>(seed), prompt.size(), greedy.distinct,
          static_cast<long long>(kGreedyTokens), greedy.longest_run);
      EXPECT_GE(greedy.distinct, kMinDistinct) << "seed " << seed;
      EXPECT_LE(greedy.longest_run, kMaxRun) << "seed " << seed;
    }
  }
}

TEST_P(SyntheticGeneration, GreedyTextDoesNotCollapseWithASmallVocabulary) {
  SyntheticOptions options;
  options.shape = audit_shape(GetParam());
  options.recipe = *parse_type_recipe("f16");
  options.threads = 2;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    options.seed = seed;
    const auto greedy = greedy_continuation(options, {1, 300, 301, 302});
    std::printf("[ measured ] %s seed %llu, 512 tokens: %zu distinct of %lld, longest run %zu\n",
                GetParam().c_str(), static_cast<unsigned long long>(seed), greedy.distinct,
                static_cast<long long>(kGreedyTokens), greedy.longest_run);
    EXPECT_GE(greedy.distinct, kMinDistinct) << "seed " << seed;
    EXPECT_LE(greedy.longest_run, kMaxRun) << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Architectures, SyntheticGeneration,
                         ::testing::ValuesIn(generating_architectures()), [](const auto& info) {
                           // gtest names take letters, digits and '_' only (gpt-oss).
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace weft::model::synthetic
