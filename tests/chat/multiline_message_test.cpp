// The """ blocks of `weft chat`: several lines make one message.
#include <gtest/gtest.h>

#include "chat/multiline_message.hpp"

namespace {

using weft::chat::MultilineMessage;

std::vector<std::optional<std::string>> feed_all_lines(MultilineMessage& assembler,
                                                       const std::vector<std::string>& lines) {
  std::vector<std::optional<std::string>> results;
  for (const auto& line : lines) results.push_back(assembler.feed(line));
  return results;
}

TEST(MultilineMessage, APlainLineIsAMessage) {
  MultilineMessage assembler;
  EXPECT_EQ(assembler.feed("hello \"\"\" there"), "hello \"\"\" there");
  EXPECT_FALSE(assembler.in_block());
}

TEST(MultilineMessage, ABlockJoinsItsLinesWithNewlines) {
  MultilineMessage assembler;
  auto results = feed_all_lines(assembler, {"\"\"\"", "first line", "", "  third", "\"\"\""});
  for (size_t i = 0; i + 1 < results.size(); ++i) EXPECT_FALSE(results[i].has_value()) << i;
  EXPECT_EQ(results.back(), "first line\n\n  third");
  EXPECT_FALSE(assembler.in_block());
}

TEST(MultilineMessage, TextBesideTheQuotesBelongsToTheMessage) {
  MultilineMessage assembler;
  auto results = feed_all_lines(assembler, {"\"\"\"Write a poem", "about the sea.\"\"\""});
  EXPECT_FALSE(results[0].has_value());
  EXPECT_TRUE(assembler.in_block() == false);
  EXPECT_EQ(results[1], "Write a poem\nabout the sea.");
  EXPECT_EQ(assembler.feed("\"\"\"one line\"\"\""), "one line");
}

TEST(MultilineMessage, CancelForgetsAnOpenBlock) {
  MultilineMessage assembler;
  EXPECT_FALSE(assembler.feed("\"\"\"draft").has_value());
  EXPECT_TRUE(assembler.in_block());
  assembler.cancel();
  EXPECT_FALSE(assembler.in_block());
  EXPECT_EQ(assembler.feed("/help"), "/help");
}

}  // namespace
