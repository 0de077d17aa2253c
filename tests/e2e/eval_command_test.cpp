// `weft eval` as a user runs it: the logits file, the probe lines and the greedy line against
// the fixture references.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "support/softmax_reference.hpp"

namespace weft {
namespace {

struct EvalResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

EvalResult run_weft_eval(const std::string& arguments) {
  const std::string command = std::string(WEFT_BINARY) + " eval " + arguments + " 2>&1";
  EvalResult result;
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

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Probes of every row against a double softmax of the float64 reference logits (the reference
// kernels with an F32 cache land within 1e-5 of them, fixtures README §6).
TEST(EvalCommand, PrintsTheProbesOfEveryRowAsJsonLines) {
  const auto base = test::shared_path("fixtures/qwen2");
  const auto tokens = test::read_token_ids(base / "reference/qwen2-f32.tokens.txt");
  const auto exact = test::read_f32_file(base / "reference/qwen2-f32.exact.logits.f32");
  const size_t n_vocab = 512;
  const std::vector<int32_t> asked = {511, 0, 261};
  const auto result =
      run_weft_eval((base / "qwen2-f32.gguf").string() + " --tokens \"" + joined_ids(tokens) +
                    "\" --top-logprobs 4 --logprobs \"" + joined_ids(asked) +
                    "\" --entropy --threads 2 --kv-type f32 --kernels reference");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto lines = json_lines(result.output);
  ASSERT_EQ(lines.size(), tokens.size());
  for (size_t row = 0; row < tokens.size(); ++row) {
    const auto& line = lines[row];
    SCOPED_TRACE("row " + std::to_string(row));
    EXPECT_EQ(line.at("row").get<size_t>(), row);
    EXPECT_EQ(line.at("token").get<int32_t>(), tokens[row]);
    const std::span<const float> reference(exact.data() + row * n_vocab, n_vocab);
    const auto logprobs = test::reference_logprobs(reference);
    const auto top_ids = test::reference_top_ids(reference, 4);
    const auto& top = line.at("top_logprobs");
    ASSERT_EQ(top.size(), 4u);
    for (size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(top[k].at("id").get<int32_t>(), top_ids[k]);
      EXPECT_NEAR(top[k].at("logprob").get<double>(), logprobs[static_cast<size_t>(top_ids[k])],
                  1e-3);
    }
    const auto& given = line.at("logprobs");
    ASSERT_EQ(given.size(), asked.size());
    for (int32_t id : asked) {
      EXPECT_NEAR(given.at(std::to_string(id)).get<double>(), logprobs[static_cast<size_t>(id)],
                  1e-3);
    }
    EXPECT_NEAR(line.at("entropy").get<double>(), test::reference_entropy(reference), 1e-3);
  }
}

TEST(EvalCommand, ProbesTheLastRowOnlyAndThenPrintsTheGreedyLine) {
  const auto base = test::shared_path("fixtures/llama");
  const auto tokens = test::read_token_ids(base / "reference/llama-f32.tokens.txt");
  const auto exact = test::read_f32_file(base / "reference/llama-f32.exact.logits.f32");
  const auto greedy = test::read_token_ids(base / "reference/llama-f32.exact.greedy.txt");
  const auto result =
      run_weft_eval((base / "llama-f32.gguf").string() + " --tokens \"" + joined_ids(tokens) +
                    "\" --entropy --last-logits-only --greedy 3 --threads 2 "
                    "--kv-type f32 --kernels reference");
  ASSERT_EQ(result.status, 0) << result.output;
  const auto newline = result.output.find('\n');
  ASSERT_NE(newline, std::string::npos) << result.output;
  const auto probe = nlohmann::json::parse(result.output.substr(0, newline));
  EXPECT_EQ(probe.at("row").get<size_t>(), tokens.size() - 1);
  EXPECT_FALSE(probe.contains("top_logprobs"));
  EXPECT_FALSE(probe.contains("logprobs"));
  const std::span<const float> last(exact.data() + (tokens.size() - 1) * 512, 512);
  EXPECT_NEAR(probe.at("entropy").get<double>(), test::reference_entropy(last), 1e-3);
  EXPECT_EQ(result.output.substr(newline + 1),
            joined_ids({greedy.begin(), greedy.begin() + 3}) + "\n");
}

TEST(EvalCommand, RejectsProbeOptionsThatCannotBeAnswered) {
  const auto model = test::shared_path("fixtures/llama/llama-f32.gguf").string();
  const auto no_probe = run_weft_eval(model + " --tokens \"1 2\" --probe-rows last");
  EXPECT_NE(no_probe.status, 0);
  EXPECT_NE(no_probe.output.find("--probe-rows needs a probe"), std::string::npos)
      << no_probe.output;
  const auto outside = run_weft_eval(model + " --tokens \"1 2\" --logprobs \"3 512\"");
  EXPECT_NE(outside.status, 0);
  EXPECT_NE(outside.output.find("--logprobs: token id 512 is outside the vocabulary (0..511)"),
            std::string::npos)
      << outside.output;
  const auto all_rows =
      run_weft_eval(model + " --tokens \"1 2\" --entropy --probe-rows all --last-logits-only");
  EXPECT_NE(all_rows.status, 0);
  EXPECT_NE(all_rows.output.find("--probe-rows all needs every row's logits"), std::string::npos)
      << all_rows.output;
}

}  // namespace
}  // namespace weft
