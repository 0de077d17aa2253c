#include "backend/line_splitter.hpp"

#include <gtest/gtest.h>

#include "backend/sse_parser.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

// "é" and "🙂" are multi-byte in UTF-8, so some cuts below fall inside a character.
const std::string kBody = "first \xC3\xA9\r\nsecond \xF0\x9F\x99\x82\n\nlast";
const std::vector<std::string> kLines = {"first \xC3\xA9", "second \xF0\x9F\x99\x82", ""};

TEST(LineSplitter, GivesTheSameLinesWhereverTheStreamIsCut) {
  for (size_t first = 0; first <= kBody.size(); ++first) {
    for (size_t second = first; second <= kBody.size(); ++second) {
      LineSplitter splitter;
      std::vector<std::string> lines;
      for (auto piece :
           {kBody.substr(0, first), kBody.substr(first, second - first), kBody.substr(second)}) {
        for (auto& line : splitter.feed(piece)) lines.push_back(line);
      }
      ASSERT_EQ(lines, kLines) << "cut at " << first << " and " << second;
      ASSERT_EQ(splitter.take_rest(), "last");
    }
  }
}

TEST(LineSplitter, RejectsALineLongerThanTheLimit) {
  LineSplitter splitter;
  std::string chunk(1024 * 1024, 'x');
  EXPECT_THROW(
      {
        for (size_t fed = 0; fed <= LineSplitter::kMaxLineBytes; fed += chunk.size())
          splitter.feed(chunk);
      },
      Error);
}

TEST(SseParser, DispatchesEventsOnBlankLinesWhereverTheStreamIsCut) {
  // Per the WHATWG event-stream rules: comments are skipped, one optional space after the
  // colon is dropped, several data lines join with "\n", CRLF and LF both end lines.
  const std::string stream =
      ": keep-alive comment\n"
      "data: {\"a\":1}\n\n"
      "event: note\r\ndata:two\r\ndata:  lines\r\n\r\n"
      "id: 7\nretry: 10\n\n"
      "data: [DONE]\n\n";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser parser;
    std::vector<SseEvent> events = parser.feed(stream.substr(0, cut));
    for (auto& event : parser.feed(stream.substr(cut))) events.push_back(event);
    for (auto& event : parser.finish()) events.push_back(event);
    ASSERT_EQ(events.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(events[0].type, "message");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].type, "note");
    EXPECT_EQ(events[1].data, "two\n lines");
    EXPECT_EQ(events[2].data, "[DONE]");
  }
}

TEST(SseParser, FinishReturnsAnEventWhoseBlankLineNeverCame) {
  SseParser parser;
  EXPECT_TRUE(parser.feed("data: tail").empty());
  auto events = parser.finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "tail");
}

}  // namespace
}  // namespace weft::backend
