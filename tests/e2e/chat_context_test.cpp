// `weft chat` when the conversation outgrows the context: the oldest turns are left out (said
// once on stderr) and every turn is answered; answers stay in the history until then. The
// native backend counts tokens before sending; the process backend (weft-engine over the
// engine protocol) refuses an overlong prompt as prompt_too_long and the chat then drops turns.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_weft_input.hpp"
#include "support/text_pieces.hpp"

namespace {

using weft::test::run_weft_with_input;

struct TurnStats {
  unsigned prompt_tokens = 0;
  unsigned generated = 0;
};

// The "[BACKEND: P prompt tokens, G generated, stop: R]" lines of --stats, in order.
std::vector<TurnStats> turn_stats(const std::string& err, const std::string& backend) {
  const std::string format = "[" + backend + ": %u prompt tokens, %u generated";
  std::vector<TurnStats> turns;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    TurnStats turn;
    if (std::sscanf(line.c_str(), format.c_str(), &turn.prompt_tokens, &turn.generated) == 2)
      turns.push_back(turn);
  }
  return turns;
}

struct BackendCase {
  std::string name;
  std::string engine_bin;  // WEFT_ENGINE_BIN: selects the process backend when set
};

class ChatContext : public ::testing::TestWithParam<BackendCase> {};

TEST_P(ChatContext, OldestTurnsAreDroppedInsteadOfFailing) {
  const std::string model = std::string(WEFT_SOURCE_DIR) + "/assets/stories260K-f32.gguf";
  const std::vector<std::string> turns = {
      "Tim and his mom went to the park to play with a big red ball.",
      "The sun was hot, so they sat under a tree and ate some cake.",
      "A little dog came and wanted to play with the ball too.",
      "Tim was happy and threw the ball far across the green grass.",
      "Then it started to rain and everyone ran home to be warm.",
      "At night Tim told his dad about the dog and the red ball.",
  };
  std::string input;
  for (const auto& turn : turns) input += turn + "\n";
  // stories260K stores a context of 128, which the engine process keeps.
  constexpr unsigned kContext = 128;
  auto result = run_weft_with_input(
      {"chat", model, "--ctx", std::to_string(kContext), "-n", "24", "-t", "1", "--temperature",
       "0", "--stats"},
      input, {{"WEFT_BACKEND", ""}, {"WEFT_ENGINE_BIN", GetParam().engine_bin}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(weft::test::count_occurrences(result.err, "weft: error"), 0u) << result.err;
  EXPECT_EQ(weft::test::count_occurrences(result.err, "outgrew the context"), 1u) << result.err;

  const auto stats = turn_stats(result.err, GetParam().name);
  ASSERT_EQ(stats.size(), turns.size()) << result.err;
  for (const auto& turn : stats) EXPECT_LE(turn.prompt_tokens, kContext);
  // Until the first drop the second prompt carries the first question and its answer.
  EXPECT_GT(stats[1].prompt_tokens, stats[0].prompt_tokens + stats[0].generated) << result.err;
  // Every turn was answered.
  for (const auto& turn : stats) EXPECT_GT(turn.generated, 0u) << result.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, ChatContext,
                         ::testing::Values(BackendCase{"native", ""},
                                           BackendCase{"process", WEFT_ENGINE_BINARY}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
