// `weft run` with no model runs the bundled stories260K (context 512) and `weft bench --json`
// prints the documented fields.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/run_weft.hpp"
#include "support/shared_files.hpp"
#include "support/text_pieces.hpp"

namespace weft {
namespace {

// The bundled file is the shared stories260K-f32.gguf; llama-cli's greedy continuation of it
// (reference-llamacpp/README.txt: -c 512, BOS, temperature 0, 200 tokens) is what a user sees.
TEST(RunCommand, BundledModelContinuesLikeLlamaCpp) {
  std::ifstream in(
      test::shared_path("models/stories260K/reference-llamacpp/llamacpp-f32-Once_upon_a_time.txt"),
      std::ios::binary);
  std::stringstream expected;
  expected << in.rdbuf();
  const auto result =
      test::run_weft({"run", "Once upon a time", "-n", "200", "--temperature", "0", "-t", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(test::without_trailing_newlines(result.out),
            test::without_trailing_newlines(expected.str()));
}

TEST(BenchCommand, JsonHasTheDocumentedFields) {
  const auto model = test::shared_path("fixtures/llama/llama-q8_0.gguf").string();
  const auto result = test::run_weft(
      {"bench", model, "-p", "16", "-n", "8", "-r", "2", "-t", "1", "--parallel", "3", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json.at("model"), model);
  EXPECT_EQ(json.at("threads"), 1);
  EXPECT_EQ(json.at("pp_tokens"), 16);
  EXPECT_EQ(json.at("tg_tokens"), 8);
  EXPECT_EQ(json.at("parallel"), 3);
  EXPECT_EQ(json.at("quantization"), "Q8_0");
  EXPECT_GT(json.at("pp_tps").get<double>(), 0.0);
  EXPECT_GT(json.at("tg_tps").get<double>(), 0.0);
  EXPECT_TRUE(json.contains("pp_tps_stddev"));
  EXPECT_TRUE(json.contains("tg_tps_stddev"));
}

// --prefix-cached: the second submission of the prompt reuses every full 16-token page
// before its last token; --no-prefix-cache reuses nothing.
TEST(BenchCommand, PrefixCachedTimesTheFirstTokenWithAndWithoutTheCache) {
  const auto model = test::shared_path("fixtures/llama/llama-q8_0.gguf").string();
  for (const bool cache : {true, false}) {
    std::vector<std::string> args = {
        "bench", model, "-p", "100", "-n", "0", "-r", "2", "-t", "1", "--prefix-cached", "--json"};
    if (!cache) args.push_back("--no-prefix-cache");
    const auto result = test::run_weft(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto json = nlohmann::json::parse(result.out);
    EXPECT_EQ(json.at("prefix_cache"), cache);
    EXPECT_EQ(json.at("ttft_cached_tokens"), cache ? (100 - 1) / 16 * 16 : 0);
    EXPECT_GT(json.at("ttft_ms").get<double>(), 0.0);
    EXPECT_GT(json.at("ttft_cached_ms").get<double>(), 0.0);
  }
}

// -d: every measured request starts from the filled depth (the command fails rather than
// report a request that recomputed part of it), and the output names the depth.
TEST(BenchCommand, DepthIsReportedAndReusedForBothKvTypes) {
  const auto model = test::shared_path("fixtures/llama/llama-f32.gguf").string();
  for (const std::string kv_type : {"f16", "q8_0"}) {
    const auto result = test::run_weft({"bench", model, "-d", "64", "-p", "32", "-n", "8", "-r",
                                        "2", "-t", "1", "--kv-type", kv_type, "--json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto json = nlohmann::json::parse(result.out);
    EXPECT_EQ(json.at("depth"), 64);
    EXPECT_EQ(json.at("kv_type"), kv_type);
    EXPECT_GT(json.at("pp_tps").get<double>(), 0.0);
    EXPECT_GT(json.at("tg_tps").get<double>(), 0.0);
  }
  const auto text =
      test::run_weft({"bench", model, "-d", "64", "-p", "32", "-n", "8", "-r", "1", "-t", "1"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("pp32    @ d64"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("tg8     @ d64"), std::string::npos) << text.out;
}

// The fixture's context is 256: a depth of 240 leaves no room for a 32-token prompt; a depth
// that is not whole pages, or a q8_0 cache for a head size of 8, is refused by name.
TEST(BenchCommand, DepthOptionsAreChecked) {
  const auto model = test::shared_path("fixtures/llama/llama-f32.gguf").string();
  const auto too_deep = test::run_weft({"bench", model, "-d", "240", "-p", "32", "-n", "8"});
  EXPECT_NE(too_deep.exit_code, 0);
  EXPECT_NE(too_deep.err.find("-d/-p/-n need 273 positions"), std::string::npos) << too_deep.err;
  const auto partial_page = test::run_weft({"bench", model, "-d", "10", "-p", "32", "-n", "8"});
  EXPECT_NE(partial_page.exit_code, 0);
  EXPECT_NE(partial_page.err.find("multiple of the KV page size"), std::string::npos)
      << partial_page.err;
  const auto stories = test::shared_path("models/stories260K/stories260K-f32.gguf").string();
  const auto q8_heads =
      test::run_weft({"bench", stories, "-p", "8", "-n", "4", "-r", "1", "--kv-type", "q8_0"});
  EXPECT_NE(q8_heads.exit_code, 0);
  EXPECT_NE(q8_heads.err.find("head size that is a multiple of 32"), std::string::npos)
      << q8_heads.err;
}

// --draft: a stream drafted by stories260K's F16 copy settles its tokens in fewer target
// calls than without it — exactly one fewer per kept draft — and the draft model's calls and
// the kept drafts are reported; --draft with --lookup, or a draft of another vocabulary, is
// refused. (One stream: with several, how many share the first call depends on timing.)
TEST(BenchCommand, DraftModelStreamsTakeFewerTargetCallsAndAreReported) {
  const auto stories = test::shared_path("models/stories260K/stories260K-f32.gguf").string();
  const auto draft = test::shared_path("models/stories260K/stories260K-f16.gguf").string();
  const std::vector<std::string> bench = {"bench", stories, "-p", "0", "-n",         "32",
                                          "-r",    "1",     "-t", "1", "--parallel", "1"};
  const auto plain_run = test::run_weft([&] {
    auto args = bench;
    args.push_back("--json");
    return args;
  }());
  ASSERT_EQ(plain_run.exit_code, 0) << plain_run.err;
  const auto plain = nlohmann::json::parse(plain_run.out);
  // The prompt's call samples each stream's first token, then one call a token.
  EXPECT_EQ(plain.at("tg_model_calls"), 32);
  EXPECT_FALSE(plain.contains("draft_model_calls"));

  auto args = bench;
  for (const char* more : {"--draft", draft.c_str(), "--json"}) args.emplace_back(more);
  const auto drafted_run = test::run_weft(args);
  ASSERT_EQ(drafted_run.exit_code, 0) << drafted_run.err;
  const auto drafted = nlohmann::json::parse(drafted_run.out);
  EXPECT_EQ(drafted.at("draft"), draft);
  EXPECT_GT(drafted.at("draft_model_calls").get<uint64_t>(), 0u);
  const auto accepted = drafted.at("accepted").get<uint64_t>();
  EXPECT_GT(accepted, 0u);
  EXPECT_LE(accepted, drafted.at("drafted").get<uint64_t>());
  EXPECT_EQ(drafted.at("tg_model_calls").get<uint64_t>(), 32u - accepted);

  auto both = bench;
  for (const char* more : {"--draft", draft.c_str(), "--lookup"}) both.emplace_back(more);
  EXPECT_NE(test::run_weft(both).exit_code, 0);
  auto other_vocabulary = bench;
  const auto spm = test::shared_path("models/vocab/ggml-vocab-llama-spm.gguf").string();
  for (const char* more : {"--draft", spm.c_str()}) other_vocabulary.emplace_back(more);
  const auto refused = test::run_weft(other_vocabulary);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("different vocabularies"), std::string::npos) << refused.err;
}

TEST(BenchCommand, LengthsPastTheContextAreAClearError) {
  const auto model = test::shared_path("fixtures/llama/llama-f32.gguf").string();
  const auto result = test::run_weft({"bench", model, "-p", "1000", "-n", "4", "-r", "1"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("context length"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace weft
