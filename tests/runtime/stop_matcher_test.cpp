#include "runtime/stop_matcher.hpp"

#include <gtest/gtest.h>

namespace weft::runtime {
namespace {

std::string feed_all_pieces(StopMatcher& matcher, const std::vector<std::string>& pieces,
                            bool* stopped) {
  std::string out;
  *stopped = false;
  for (const auto& piece : pieces) {
    auto step = matcher.feed(piece);
    out += step.emit;
    if (step.stopped) {
      *stopped = true;
      return out;
    }
  }
  return out + matcher.flush();
}

TEST(StopMatcher, FindsAStopStringSplitAcrossPieces) {
  StopMatcher matcher({"</end>"});
  bool stopped = false;
  EXPECT_EQ(feed_all_pieces(matcher, {"hello </", "en", "d> more"}, &stopped), "hello ");
  EXPECT_TRUE(stopped);
}

TEST(StopMatcher, ReleasesAHeldPrefixThatDidNotBecomeAStop) {
  StopMatcher matcher({"abc"});
  auto step = matcher.feed("xxab");
  EXPECT_EQ(step.emit, "xx");
  step = matcher.feed("d");
  EXPECT_EQ(step.emit, "abd");
  EXPECT_FALSE(step.stopped);
}

TEST(StopMatcher, EarliestOfSeveralStopsWins) {
  StopMatcher matcher({"world", "lo w"});
  bool stopped = false;
  EXPECT_EQ(feed_all_pieces(matcher, {"hello world"}, &stopped), "hel");
  EXPECT_TRUE(stopped);
}

TEST(StopMatcher, WithoutStopsEverythingPassesThrough) {
  StopMatcher matcher({});
  bool stopped = false;
  EXPECT_EQ(feed_all_pieces(matcher, {"a", "b"}, &stopped), "ab");
  EXPECT_FALSE(stopped);
}

}  // namespace
}  // namespace weft::runtime
