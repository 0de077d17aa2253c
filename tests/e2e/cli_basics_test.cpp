// The `weft` command's surface, run as a user runs it: help for every subcommand, the version,
// the backend listing, and user errors as one `weft: error:` line on stderr.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/fake_http_server.hpp"
#include "support/run_weft_input.hpp"
#include "support/text_pieces.hpp"

namespace weft {
namespace {

using test::run_weft_with_input;
using test::WeftResult;

// Nothing chosen by the environment, and no Ollama answering.
std::vector<std::pair<std::string, std::string>> no_backend_environment() {
  return {
      {"WEFT_BACKEND", ""},
      {"WEFT_ENGINE_BIN", ""},
      {"WEFT_STUB_DELAY_MS", "0"},
      {"OLLAMA_HOST", "http://127.0.0.1:" + std::to_string(test::unused_local_port())},
      {"WEFT_OPENAI_BASE_URL", "http://127.0.0.1:" + std::to_string(test::unused_local_port())}};
}

WeftResult run_cli(const std::vector<std::string>& arguments) {
  return run_weft_with_input(arguments, "", no_backend_environment());
}

// Every subcommand path, as README's command table lists them.
const std::vector<std::vector<std::string>> kCommands = {
    {"run"},      {"bench"},    {"inspect"},   {"mkmodel"}, {"chat"},     {"backends"},
    {"tokenize"}, {"eval"},     {"serve"},     {"status"},  {"template"}, {"template", "render"},
    {"help"},     {"quantize"}, {"perplexity"}};

std::string joined_words(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

TEST(CliBasics, EverySubcommandHasHelpBothWays) {
  for (const auto& command : kCommands) {
    auto arguments = command;
    arguments.push_back("--help");
    auto flag = run_cli(arguments);
    EXPECT_EQ(flag.exit_code, 0) << joined_words(command) << ": " << flag.err;
    EXPECT_TRUE(flag.err.empty()) << joined_words(command) << ": " << flag.err;
    EXPECT_NE(flag.out.find("weft " + joined_words(command)), std::string::npos)
        << joined_words(command) << ": " << flag.out;

    std::vector<std::string> help_arguments = {"help"};
    help_arguments.insert(help_arguments.end(), command.begin(), command.end());
    auto help = run_cli(help_arguments);
    EXPECT_EQ(help.exit_code, 0) << joined_words(help_arguments) << ": " << help.err;
    EXPECT_EQ(help.out, flag.out) << joined_words(help_arguments);
  }
  auto top = run_cli({"help"});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  for (const auto& command : kCommands) {
    EXPECT_NE(top.out.find(command.front()), std::string::npos) << command.front();
  }
  EXPECT_EQ(run_cli({"--help"}).out, top.out);
}

TEST(CliBasics, VersionIsTheProjectVersion) {
  std::ifstream cmake_lists(std::string(WEFT_SOURCE_DIR) + "/CMakeLists.txt");
  std::stringstream text;
  text << cmake_lists.rdbuf();
  std::smatch match;
  const std::string source = text.str();
  ASSERT_TRUE(std::regex_search(source, match, std::regex(R"(project\(weft VERSION ([0-9.]+))")));
  auto result = run_cli({"--version"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::smatch line;
  ASSERT_TRUE(std::regex_match(
      result.out, line,
      std::regex(
          R"(weft ([0-9.]+) \(commit ([0-9a-f]{12}|unknown); CPU features in use: (.+)\)\n)")))
      << result.out;
  EXPECT_EQ(line[1].str(), match[1].str());
  // The tests run from the checkout they were built from: the commit is one of its own.
  ASSERT_NE(line[2].str(), "unknown");
  const std::string check = "git -C '" + std::string(WEFT_SOURCE_DIR) + "' cat-file -e " +
                            line[2].str() + "^{commit} 2>/dev/null";
  EXPECT_EQ(std::system(check.c_str()), 0) << line[2].str();
}

// Each feature named is one the kernel reports for this CPU in /proc/cpuinfo, and
// WEFT_CPU_LEVEL=scalar leaves none.
TEST(CliBasics, VersionNamesTheCpuFeaturesInUse) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string flags_line;
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("flags", 0) == 0) {
      flags_line = line + " ";
      break;
    }
  }
  ASSERT_FALSE(flags_line.empty()) << "no flags line in /proc/cpuinfo";
  auto result = run_cli({"--version"});
  std::smatch match;
  ASSERT_TRUE(std::regex_search(result.out, match, std::regex(R"(CPU features in use: ([^)]+)\))")))
      << result.out;
  std::istringstream features(match[1].str());
  for (std::string feature; features >> feature;) {
    if (feature == "none" || feature == "(scalar" || feature == "kernels") continue;
    // /proc/cpuinfo spells VNNI "avx512_vnni".
    const std::string flag = feature == "avx512vnni" ? "avx512_vnni" : feature;
    EXPECT_NE(flags_line.find(" " + flag + " "), std::string::npos) << feature;
  }
  auto environment = no_backend_environment();
  environment.emplace_back("WEFT_CPU_LEVEL", "scalar");
  auto scalar = run_weft_with_input({"--version"}, "", environment);
  EXPECT_NE(scalar.out.find("CPU features in use: none (scalar kernels))"), std::string::npos)
      << scalar.out;
}

TEST(CliBasics, BackendsSaysWhichCanServeAndWhyNot) {
  auto result = run_cli({"backends"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto lines = test::lines_of(result.out);
  for (const std::string name : {"stub", "native", "ollama", "openai"}) {
    auto line = std::find_if(lines.begin(), lines.end(),
                             [&](const std::string& l) { return l.rfind(name + " ", 0) == 0; });
    ASSERT_NE(line, lines.end()) << name << " missing from:\n" << result.out;
    std::smatch match;
    ASSERT_TRUE(
        std::regex_match(*line, match, std::regex(name + R"( +(available|unavailable: (.+)))")))
        << *line;
    // Nothing listens at OLLAMA_HOST or WEFT_OPENAI_BASE_URL: both are unavailable, with
    // the address they tried in the reason.
    if (name == "ollama" || name == "openai") {
      EXPECT_EQ(match[1].str().rfind("unavailable: ", 0), 0u) << *line;
      EXPECT_NE(match[2].str().find("127.0.0.1"), std::string::npos) << *line;
    }
    if (name == "stub" || name == "native") {
      EXPECT_EQ(match[1].str(), "available") << *line;
    }
  }
}

// The first line of stderr, checked to be the only one and of the documented shape.
void expect_one_error_line(const WeftResult& result, const std::string& what) {
  EXPECT_NE(result.exit_code, 0) << what;
  auto lines = test::lines_of(result.err);
  ASSERT_EQ(lines.size(), 1u) << what << ":\n" << result.err;
  EXPECT_EQ(lines[0].rfind("weft: error: ", 0), 0u) << what << ": " << lines[0];
  EXPECT_LT(lines[0].size(), 300u) << what << ": " << lines[0];
  EXPECT_EQ(result.err.back(), '\n') << what;
}

TEST(CliBasics, CommandLineErrorsAreOneLineAndExitTwo) {
  struct Case {
    std::vector<std::string> arguments;
    std::string mentions;  // what the message must name
    std::string see;       // the help it points to
  };
  const std::string model = std::string(WEFT_SOURCE_DIR) + "/assets/stories260K-f32.gguf";
  const std::vector<Case> cases = {
      {{"nope"}, "unknown command 'nope'", "(see weft --help)"},
      {{"run"}, "prompt", "(see weft run --help)"},
      {{"run", "--temperature", "abc", "hi"}, "--temperature", "(see weft run --help)"},
      {{"run", "--temperature", "-1", "hi"}, "-1", "(see weft run --help)"},
      {{"run", "--top-p", "2", "hi"}, "from 0 to 1", "(see weft run --help)"},
      {{"chat", "--temperature", "nan"}, "--temperature", "(see weft chat --help)"},
      {{"bench", "-b", "0", model}, "--batch", "(see weft bench --help)"},
      {{"bench", "--reps", "0", model}, "--reps", "(see weft bench --help)"},
      {{"run", "--no-such-flag", "hi"}, "--no-such-flag", "(see weft run --help)"},
      {{"template", "render", "--no-such-flag"},
       "--no-such-flag",
       "(see weft template render --help)"},
      {{"help", "nope"}, "nope", "(see weft --help)"},
      {{"chat", model, "--model", model}, "--model", "(see weft chat --help)"},
  };
  for (const auto& c : cases) {
    auto result = run_cli(c.arguments);
    expect_one_error_line(result, joined_words(c.arguments));
    EXPECT_EQ(result.exit_code, 2) << joined_words(c.arguments) << ": " << result.err;
    EXPECT_NE(result.err.find(c.mentions), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(c.see + "\n"), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty()) << joined_words(c.arguments) << ": " << result.out;
  }
}

TEST(CliBasics, ErrorsWhileRunningAreOneLine) {
  auto unknown = run_cli({"run", "--backend", "nope", "hi"});
  expect_one_error_line(unknown, "unknown backend");
  EXPECT_NE(unknown.err.find("unknown backend 'nope'"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("stub"), std::string::npos) << unknown.err;  // what is available

  const std::string missing = "/nonexistent/weft-test-model.gguf";
  auto no_file = run_cli({"run", "--model", missing, "hi"});
  expect_one_error_line(no_file, "missing model file");
  EXPECT_NE(no_file.err.find(missing), std::string::npos) << no_file.err;

  auto no_ollama = run_cli({"run", "--backend", "ollama", "hi"});
  expect_one_error_line(no_ollama, "unavailable backend");
}

}  // namespace
}  // namespace weft
