// `weft eval` as a user runs it: the logits file and the greedy line against the fixture
// references.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

CommandResult run_weft_eval(const std::string& arguments) {
  const std::string command = std::string(WEFT_BINARY) + " eval " + arguments + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    result.output.append(buffer.data(), n);
  result.status = pclose(pipe);
  return result;
}

std::string joined_ids(const std::vector<int32_t>& ids) {
  std::string text;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) text += ' ';
    text += std::to_string(ids[i]);
  }
  return text;
}

TEST(EvalCommand, WritesEveryPositionsLogitsAndPrintsTheGreedyContinuation) {
  const auto base = test::shared_path("fixtures/llama");
  const auto reference = base / "reference";
  const auto tokens = test::read_token_ids(reference / "llama-q4_k_m.tokens.txt");
  const auto out =
      std::filesystem::temp_directory_path() / ("weft-eval-" + std::to_string(::getpid()) + ".f32");
  const auto result = run_weft_eval((base / "llama-q4_k_m.gguf").string() + " --tokens \"" +
                                    joined_ids(tokens) + "\" --logits-out " + out.string() +
                                    " --greedy 32 --threads 2 --kv-type f32 --kernels reference");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto logits = test::read_f32_file(out);
  std::filesystem::remove(out);
  const auto difference = test::compare_logits(
      logits, test::read_f32_file(reference / "llama-q4_k_m.exact.logits.f32"));
  EXPECT_LE(difference.max_abs, 1e-4);
  const auto greedy = test::read_token_ids(reference / "llama-q4_k_m.exact.greedy.txt");
  EXPECT_EQ(result.output, joined_ids(greedy) + "\n");
}

TEST(EvalCommand, ContextOverrideLetsStories260kPassItsStoredLength) {
  const auto model = test::shared_path("models/stories260K/stories260K-f32.gguf").string();
  std::string many;
  for (int i = 0; i < 130; ++i) many += "1 ";
  const auto too_long = run_weft_eval(model + " --tokens \"" + many + "\"");
  EXPECT_NE(too_long.status, 0);
  EXPECT_NE(too_long.output.find("past the context length 128"), std::string::npos)
      << too_long.output;
  const auto overridden = run_weft_eval(model + " --ctx 512 --tokens \"" + many + "\" --greedy 1");
  EXPECT_EQ(overridden.status, 0) << overridden.output;
}

TEST(EvalCommand, ReportsBadInputOnOneLine) {
  const auto model = test::shared_path("fixtures/llama/llama-f32.gguf").string();
  const auto bad_id = run_weft_eval(model + " --tokens \"1 2 x\"");
  EXPECT_NE(bad_id.status, 0);
  EXPECT_NE(
      bad_id.output.find("weft: error: --tokens: expected a non-negative token id at character 5"),
      std::string::npos)
      << bad_id.output;
  const auto out_of_vocabulary = run_weft_eval(model + " --tokens \"1 600\"");
  EXPECT_NE(out_of_vocabulary.output.find("token id 600 is outside the vocabulary"),
            std::string::npos);
  const auto missing = run_weft_eval("/nonexistent.gguf --tokens 1");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.output.find("weft: error:"), std::string::npos);
}

}  // namespace
}  // namespace weft
