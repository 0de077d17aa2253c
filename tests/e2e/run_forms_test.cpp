// `weft run` as people type it: MODEL and PROMPT as arguments, the prompt on stdin, llama.cpp's
// short flags, and what it says on stderr with --verbose and --stats.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/bundled_model.hpp"
#include "support/fake_http_server.hpp"
#include "support/run_weft_input.hpp"
#include "support/shared_files.hpp"
#include "support/text_pieces.hpp"

namespace weft {
namespace {

using test::run_weft_with_input;
using test::WeftResult;

const std::string kPrompt = "Once upon a time";

// Nothing chosen by the environment, and no Ollama answering.
std::vector<std::pair<std::string, std::string>> no_ollama_environment() {
  return {{"WEFT_BACKEND", ""},
          {"WEFT_ENGINE_BIN", ""},
          {"OLLAMA_HOST", "http://127.0.0.1:" + std::to_string(test::unused_local_port())}};
}

WeftResult run_greedy(std::vector<std::string> arguments, const std::string& input = "") {
  for (const std::string word : {"--temperature", "0", "-t", "1"}) arguments.push_back(word);
  return run_weft_with_input(arguments, input, no_ollama_environment());
}

// llama-cli's greedy continuation of kPrompt on stories260K (200 tokens); a shorter answer is a
// prefix of it.
std::string llama_cpp_continuation() {
  std::ifstream in(
      test::shared_path("models/stories260K/reference-llamacpp/llamacpp-f32-Once_upon_a_time.txt"),
      std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return test::without_trailing_newlines(text.str());
}

void expect_greedy_continuation(const WeftResult& result, const std::string& form) {
  ASSERT_EQ(result.exit_code, 0) << form << ": " << result.err;
  const std::string answer = test::without_trailing_newlines(result.out);
  EXPECT_GT(answer.size(), 10u) << form;
  EXPECT_EQ(llama_cpp_continuation().rfind(answer, 0), 0u) << form << ": " << answer;
}

TEST(RunForms, ModelAndPromptAsArgumentsOptionsOrStdin) {
  const std::string model = test::bundled_model_file();
  struct Form {
    std::vector<std::string> arguments;
    std::string input;
  };
  const std::vector<Form> forms = {
      {{"run", model, kPrompt, "-n", "12"}, ""},
      {{"run", "-m", model, kPrompt, "-n", "12"}, ""},
      {{"run", "--model", model, "-n", "12"}, kPrompt + "\n"},
      {{"run", model, "-n", "12"}, kPrompt + "\n"},
      {{"run", "-p", kPrompt, model, "-n", "12"}, ""},
      {{"run", kPrompt, "-n", "12"}, ""},  // the bundled model
      {{"run", "-n", "12"}, kPrompt},      // the bundled model, prompt on stdin
  };
  for (const auto& form : forms) {
    std::string description;
    for (const auto& word : form.arguments) description += word + " ";
    expect_greedy_continuation(run_greedy(form.arguments, form.input),
                               description + "< " + form.input);
  }
}

TEST(RunForms, LlamaCppShortFlags) {
  const std::string model = test::bundled_model_file();
  // As typed for llama-cli, without the --temperature and -t that run_greedy() adds.
  auto result = run_weft_with_input({"run", "-m", model, "-p", kPrompt, "-n", "12", "-c", "256",
                                     "-t", "1", "-s", "7", "--temp", "0", "-ngl", "99"},
                                    "", no_ollama_environment());
  expect_greedy_continuation(result, "llama.cpp flags");
  EXPECT_EQ(test::lines_of(result.err),
            std::vector<std::string>{"weft: no GPU backend in this build; -ngl ignored"});

  auto long_form = run_greedy({"run", model, kPrompt, "-n", "12", "--n-gpu-layers", "33"});
  expect_greedy_continuation(long_form, "--n-gpu-layers");
  EXPECT_NE(long_form.err.find("-ngl ignored"), std::string::npos) << long_form.err;
}

TEST(RunForms, ArgumentMistakesAreUsageErrors) {
  const std::string model = test::bundled_model_file();
  const std::vector<std::vector<std::string>> mistakes = {
      {"run", model, kPrompt, "extra"},
      {"run", "-m", model, model, kPrompt},
      {"run", "-p", kPrompt, model, kPrompt},
      {"run", "-m", model, "-p", kPrompt, "extra"},
      {"run", model},  // a model and nothing on stdin
  };
  for (const auto& arguments : mistakes) {
    auto result = run_greedy(arguments);
    EXPECT_EQ(result.exit_code, 2) << arguments.back() << ": " << result.err;
    EXPECT_EQ(result.err.rfind("weft: error: ", 0), 0u) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
  }
}

TEST(RunForms, OneArgumentEndingInGgufIsTheModel) {
  const std::string missing = "/nonexistent/weft-notes.gguf";
  auto result = run_greedy({"run", missing}, kPrompt);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find(missing), std::string::npos) << result.err;
}

TEST(RunForms, QuietOnAPipeUnlessVerbose) {
  auto quiet = run_greedy({"run", kPrompt, "-n", "4"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

TEST(RunForms, VerboseSaysWhoAnswersAndHowFast) {
  auto result = run_greedy({"run", kPrompt, "-n", "16", "--verbose"});
  expect_greedy_continuation(result, "--verbose");
  // The load's steps, one line each off a terminal (docs/chat.md#loading-progress), come
  // between the choice and the load time.
  auto all_lines = test::lines_of(result.err);
  std::vector<std::string> lines;
  for (size_t i = 0; i < all_lines.size(); ++i) {
    if (all_lines[i].rfind("weft: loading: ", 0) == 0) {
      EXPECT_EQ(lines.size(), 1u) << result.err;
      continue;
    }
    lines.push_back(all_lines[i]);
  }
  EXPECT_NE(result.err.find("weft: loading: mapping the file\n"), std::string::npos) << result.err;
  // When the load ends, the time of each step in order (an F32 model packs nothing).
  EXPECT_TRUE(std::regex_search(
      result.err, std::regex("weft: loading: took mapping the file [0-9]+\\.[0-9] ms, reading the "
                             "weights [0-9]+\\.[0-9] ms, reading the tokenizer [0-9]+\\.[0-9] ms, "
                             "starting the engine [0-9]+\\.[0-9] ms\n")))
      << result.err;
  ASSERT_EQ(lines.size(), 3u) << result.err;
  EXPECT_EQ(lines[0],
            "weft: native: stories260K-f32 (bundled default; no model given and no Ollama "
            "answered: the bundled model)");
  EXPECT_EQ(lines[1].rfind("weft: loaded in ", 0), 0u) << lines[1];
  EXPECT_NE(lines[2].find("generation: 16 tokens, "), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("tokens/s"), std::string::npos) << lines[2];

  auto explicit_model = run_greedy({"run", test::bundled_model_file(), kPrompt, "-n", "2", "-v"});
  ASSERT_EQ(explicit_model.exit_code, 0) << explicit_model.err;
  EXPECT_EQ(test::lines_of(explicit_model.err).at(0),
            "weft: native: " + test::bundled_model_file() + " (a model file was given)");
}

TEST(RunForms, StatsIsOneJsonLineWhoseCountsMatchTheAnswer) {
  auto result = run_greedy({"run", kPrompt, "-n", "16", "--stats"});
  expect_greedy_continuation(result, "--stats");
  auto lines = test::lines_of(result.err);
  ASSERT_EQ(lines.size(), 1u) << result.err;
  const auto stats = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(stats.at("backend"), "native");
  EXPECT_EQ(stats.at("stop_reason"), "length");
  EXPECT_EQ(stats.at("completion_tokens"), 16);  // -n 16, and the story runs longer
  EXPECT_EQ(stats.at("streamed_tokens"), 16);
  EXPECT_GT(stats.at("prompt_tokens").get<int>(), 0);
  for (const char* field : {"load_ms", "prompt_ms", "generation_ms", "first_token_ms", "total_ms",
                            "prompt_tokens_per_s", "generation_tokens_per_s"}) {
    ASSERT_TRUE(stats.at(field).is_number()) << field << ": " << lines[0];
    EXPECT_GE(stats.at(field).get<double>(), 0) << field;
  }
  EXPECT_GE(stats.at("total_ms").get<double>(), stats.at("generation_ms").get<double>());
}

}  // namespace
}  // namespace weft
