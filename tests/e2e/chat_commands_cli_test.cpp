// `weft chat`'s /set, /show, /save and /load as typed into the real binary (stdin a pipe), and
// a conversation saved and loaded into a new chat continuing exactly as the original did
// (greedy decoding on the bundled stories260K).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "support/run_weft_input.hpp"

namespace {

using weft::test::run_weft_with_input;

const std::vector<std::pair<std::string, std::string>> kEnvironment = {
    {"WEFT_STUB_DELAY_MS", "0"}, {"WEFT_BACKEND", ""}, {"WEFT_ENGINE_BIN", ""}};

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("weft_chat_cli_" + std::to_string(getpid()) + "_" + name))
      .string();
}

// Everything after `marker`'s line: the answers that follow a command.
std::string rest_after(const std::string& out, const std::string& marker) {
  size_t at = out.find(marker);
  if (at == std::string::npos) return "<no " + marker + ">";
  size_t start = out.find('\n', at);
  if (start == std::string::npos) return "<nothing after " + marker + ">";
  return out.substr(start + 1);
}

size_t count_lines_containing(const std::string& text, const std::string& needle) {
  size_t count = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.substr(start, end - start).find(needle) != std::string::npos) ++count;
    start = end + 1;
  }
  return count;
}

TEST(ChatCommandsCli, SetThenShowReflectTheValuesAndBadOnesAreRefused) {
  auto result = run_weft_with_input(
      {"chat", "--backend", "stub"},
      "/set temperature 0.7\n/set top_k 12\n/set top_p 2\n/set colour blue\n/set\n/show\nhi\n",
      kEnvironment);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("(temperature set to 0.7)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("top_p: expected a number from 0 to 1, got '2'"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("unknown setting 'colour'"), std::string::npos) << result.out;
  // /set and /show both list the values.
  EXPECT_EQ(count_lines_containing(result.out, "temperature 0.7"), 2u) << result.out;
  EXPECT_EQ(count_lines_containing(result.out, "top_k 12"), 2u) << result.out;
  EXPECT_NE(result.out.find("model: stub"), std::string::npos) << result.out;
}

TEST(ChatCommandsCli, ALoadedConversationContinuesAsTheOriginalDid) {
  const std::string saved = temp_file("story.json");
  const std::vector<std::string> chat = {"chat", "--backend", "native",        "-t", "1",
                                         "-n",   "12",        "--temperature", "0"};
  const std::string follow_up = "The little dog";

  auto original = run_weft_with_input(
      chat, "Once upon a time\n/save " + saved + "\n" + follow_up + "\n", kEnvironment);
  ASSERT_EQ(original.exit_code, 0) << original.err;
  const std::string original_answer = rest_after(original.out, "(saved 2 messages");

  auto restored =
      run_weft_with_input(chat, "/load " + saved + "\n" + follow_up + "\n", kEnvironment);
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(rest_after(restored.out, "(loaded 2 messages"), original_answer) << restored.out;

  // Without the history the same question is answered otherwise: the loaded turns mattered.
  auto fresh = run_weft_with_input(chat, "/clear\n" + follow_up + "\n", kEnvironment);
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_NE(rest_after(fresh.out, "(conversation cleared)"), original_answer) << fresh.out;

  auto bad = run_weft_with_input(chat, "/load " + saved + ".missing\n", kEnvironment);
  EXPECT_EQ(bad.exit_code, 0) << bad.err;
  EXPECT_NE(bad.out.find("cannot load: cannot read '" + saved + ".missing'"), std::string::npos)
      << bad.out;
  std::filesystem::remove(saved);
}

TEST(ChatCommandsCli, LoadingProgressIsShownOnlyWhenAskedForOffATerminal) {
  auto quiet =
      run_weft_with_input({"run", "--backend", "native", "-n", "2", "hi"}, "", kEnvironment);
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("loading"), std::string::npos) << quiet.err;
  auto verbose = run_weft_with_input({"run", "--backend", "native", "-n", "2", "--verbose", "hi"},
                                     "", kEnvironment);
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  EXPECT_NE(verbose.err.find("weft: loading: mapping the file\n"), std::string::npos)
      << verbose.err;
  EXPECT_NE(verbose.err.find("weft: loading: starting the engine\n"), std::string::npos)
      << verbose.err;
}

}  // namespace
