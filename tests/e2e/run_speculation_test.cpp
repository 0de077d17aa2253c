// `weft run --draft MODEL` and `weft run --lookup`: the same text as plain greedy `weft run`
// (for the bundled model, llama.cpp's own continuation), fewer model passes, the figures on
// --stats, and clear refusals.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
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

std::vector<std::string> with(std::vector<std::string> arguments,
                              const std::vector<std::string>& more) {
  arguments.insert(arguments.end(), more.begin(), more.end());
  return arguments;
}

// The last line of stderr: --stats prints its JSON there after the answer.
nlohmann::json stats_of(const std::string& err) {
  auto text = test::without_trailing_newlines(err);
  return nlohmann::json::parse(text.substr(text.rfind('\n') + 1));
}

TEST(RunSpeculation, DraftAndLookupGiveLlamaCppsGreedyContinuationOfTheBundledModel) {
  std::ifstream in(
      test::shared_path("models/stories260K/reference-llamacpp/llamacpp-f32-Once_upon_a_time.txt"),
      std::ios::binary);
  std::stringstream expected;
  expected << in.rdbuf();
  const std::vector<std::string> plain = {
      "run", "Once upon a time", "-n", "200", "--temperature", "0", "-t", "2"};
  const auto draft = test::shared_path("fixtures/stories260K/stories260K-f16.gguf").string();
  for (const auto& extra :
       std::vector<std::vector<std::string>>{{"--draft", draft, "--stats"},
                                             {"--draft", draft, "--draft-tokens", "7", "--stats"},
                                             {"--lookup", "--stats"},
                                             {"--lookup=2", "--draft-tokens", "6", "--stats"}}) {
    const auto result = test::run_weft(with(plain, extra));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(test::without_trailing_newlines(result.out),
              test::without_trailing_newlines(expected.str()))
        << extra[0];
    const auto speculation = stats_of(result.err).at("speculation");
    EXPECT_GT(speculation.at("accepted").get<int>(), 0) << result.err;
    EXPECT_LT(speculation.at("passes").get<int>(), 200) << result.err;
  }
}

TEST(RunSpeculation, AQuantisedDraftOnTheQwen2FixtureGivesThePlainAnswer) {
  const auto target = test::shared_path("fixtures/qwen2/qwen2-f32.gguf").string();
  const auto draft = test::shared_path("fixtures/qwen2/qwen2-q8_0.gguf").string();
  const std::vector<std::string> plain = {
      "run", target, "Tell me a story", "-n", "40", "--temperature", "0", "-t", "2"};
  const auto expected = test::run_weft(plain);
  ASSERT_EQ(expected.exit_code, 0) << expected.err;
  const auto drafted = test::run_weft(with(plain, {"--draft", draft, "-v"}));
  ASSERT_EQ(drafted.exit_code, 0) << drafted.err;
  EXPECT_EQ(drafted.out, expected.out);
  EXPECT_NE(drafted.err.find("weft: speculation: "), std::string::npos) << drafted.err;
  const auto looked_up = test::run_weft(with(plain, {"--lookup"}));
  ASSERT_EQ(looked_up.exit_code, 0) << looked_up.err;
  EXPECT_EQ(looked_up.out, expected.out);
}

TEST(RunSpeculation, ADraftWithAnotherVocabularyIsRefusedNamingBoth) {
  // Every fixture shares stories260K's vocabulary: the draft is a tiny random model with a
  // generated placeholder vocabulary.
  const auto draft = (std::filesystem::temp_directory_path() /
                      ("weft-spec-draft-" + std::to_string(::getpid()) + ".gguf"))
                         .string();
  const auto made = test::run_weft({"mkmodel", "--arch", "llama", "--dim", "32", "--layers", "1",
                                    "--heads", "2", "--ffn", "64", "--vocab", "300", draft});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto result =
      test::run_weft({"run", "Once upon a time", "-n", "8", "--draft", draft, "-t", "2"});
  std::filesystem::remove(draft);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("different vocabularies"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("draft model"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("target model"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(RunSpeculation, OptionsItCannotHonourAreRefused) {
  const auto stop = test::run_weft({"run", "Once upon a time", "--lookup", "--stop", "Lily"});
  EXPECT_NE(stop.exit_code, 0);
  EXPECT_NE(stop.err.find("--stop"), std::string::npos) << stop.err;
  const auto both = test::run_weft({"run", "Once upon a time", "--lookup", "--draft", "x.gguf"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  const auto tiny = test::run_weft({"run", "Once upon a time", "--lookup=1"});
  EXPECT_EQ(tiny.exit_code, 2) << tiny.err;
  const auto help = test::run_weft({"run", "--help"});
  EXPECT_NE(help.out.find("--draft-tokens"), std::string::npos);
  EXPECT_NE(help.out.find("--lookup"), std::string::npos);
}

}  // namespace
}  // namespace weft
