// `weft engine --stdio` (what weft-engine runs) fed a whole conversation on stdin, and
// `weft run` through the process backend with weft-engine behind it: both give the text of
// `weft run --temperature 0` on the native backend, and stdout carries protocol lines only.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/run_weft.hpp"
#include "support/run_weft_input.hpp"

namespace weft::test {
namespace {

using nlohmann::json;

const std::string kModel = std::string(WEFT_SOURCE_DIR) + "/assets/stories260K-f32.gguf";

std::string greedy_run(const std::string& prompt, int max_tokens) {
  auto result = run_weft(
      {"run", "--model", kModel, "--temperature", "0", "-n", std::to_string(max_tokens), prompt});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  if (!result.out.empty() && result.out.back() == '\n') result.out.pop_back();
  return result.out;
}

std::string generate_request_line(const std::string& id, const std::string& prompt,
                                  int max_tokens) {
  return json({{"v", 1},
               {"type", "generate"},
               {"id", id},
               {"messages", {{{"role", "user"}, {"content", prompt}}}},
               {"max_tokens", max_tokens},
               {"temperature", 0}})
             .dump() +
         "\n";
}

// Every stdout line, parsed; a line that is not a protocol line fails the test.
std::vector<json> protocol_lines(const std::string& out) {
  std::vector<json> lines;
  std::istringstream stream(out);
  for (std::string line; std::getline(stream, line);) {
    json parsed = json::parse(line, nullptr, false);
    EXPECT_TRUE(parsed.is_object()) << "not a protocol line on stdout: " << line;
    if (!parsed.is_object()) continue;
    EXPECT_EQ(parsed.value("v", 0), 1) << line;
    lines.push_back(std::move(parsed));
  }
  return lines;
}

TEST(WeftEngine, AnswersAConversationOnStdinWithWeftRunsGreedyText) {
  const std::string input = json({{"v", 1}, {"type", "load"}, {"model", kModel}}).dump() + "\n" +
                            generate_request_line("first", "Once upon a time", 30) +
                            generate_request_line("second", "The little dog", 30) + "garbage\n";
  // WEFT_MODEL empty: the engine starts without a model and waits for `load`.
  auto result = run_weft_with_input({"engine", "--stdio"}, input, {{"WEFT_MODEL", ""}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::map<std::string, std::string> done_text;
  std::map<std::string, std::string> streamed;
  bool saw_garbage_error = false;
  for (const auto& line : protocol_lines(result.out)) {
    const std::string type = line["type"];
    if (type == "token") streamed[line["id"]] += line["text"].get<std::string>();
    if (type == "done") done_text[line["id"]] = line["text"];
    if (type == "error" && !line.contains("id")) saw_garbage_error = true;
  }
  EXPECT_TRUE(saw_garbage_error);
  EXPECT_EQ(done_text["first"], greedy_run("Once upon a time", 30));
  EXPECT_EQ(done_text["second"], greedy_run("The little dog", 30));
  EXPECT_EQ(streamed["first"], done_text["first"]);
}

TEST(WeftEngine, LoadsTheModelOfTheEnvironmentAndResolvesNames) {
  const auto dir = std::filesystem::temp_directory_path() / "weft-engine-e2e-models";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kModel, dir / "tiny.gguf",
                             std::filesystem::copy_options::overwrite_existing);
  auto result = run_weft_with_input(
      {"engine", "--stdio"}, generate_request_line("g", "Once upon a time", 12),
      {{"WEFT_MODEL", ""}, {"INFERNET_ENGINE_MODEL", "tiny"}, {"WEFT_MODELS_DIR", dir.string()}});
  std::filesystem::remove_all(dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto lines = protocol_lines(result.out);
  std::vector<json> ready;
  for (const auto& line : lines) {
    if (line["type"] == "ready") ready.push_back(line);
  }
  ASSERT_EQ(ready.size(), 1u) << result.out;
  EXPECT_EQ(ready[0]["model"], "tiny");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["type"], "done");
  EXPECT_EQ(lines.back()["text"], greedy_run("Once upon a time", 12));
}

TEST(WeftEngine, ServesWeftRunThroughTheProcessBackend) {
  auto result = run_weft_with_input(
      {"run", "--model", kModel, "--temperature", "0", "-n", "25", "Once upon a time"}, "",
      {{"WEFT_ENGINE_BIN", WEFT_ENGINE_BINARY}, {"WEFT_MODEL", ""}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, greedy_run("Once upon a time", 25) + "\n");
}

}  // namespace
}  // namespace weft::test
