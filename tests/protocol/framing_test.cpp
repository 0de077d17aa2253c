#include "protocol/framing.hpp"

#include <gtest/gtest.h>

namespace weft::protocol {
namespace {

using Status = FrameReader::Status;

TEST(FrameReader, SplitsLinesArrivingInArbitraryPieces) {
  FrameReader reader;
  std::string line;
  reader.append("{\"a\":");
  EXPECT_EQ(reader.next(line), Status::need_more);
  reader.append("1}\n{\"b\"");
  ASSERT_EQ(reader.next(line), Status::frame);
  EXPECT_EQ(line, "{\"a\":1}");
  EXPECT_EQ(reader.next(line), Status::need_more);
  reader.append(":2}\n\n");
  ASSERT_EQ(reader.next(line), Status::frame);
  EXPECT_EQ(line, "{\"b\":2}");
  ASSERT_EQ(reader.next(line), Status::frame);
  EXPECT_EQ(line, "");  // an empty line is a (malformed) frame, not skipped
}

TEST(FrameReader, ParsesALastLineWithoutNewlineAtEof) {
  FrameReader reader;
  std::string line;
  reader.append("{\"x\":1}\n{\"y\":2}");
  ASSERT_EQ(reader.next(line), Status::frame);
  EXPECT_EQ(reader.next(line), Status::need_more);
  reader.finish();
  ASSERT_EQ(reader.next(line), Status::frame);
  EXPECT_EQ(line, "{\"y\":2}");
  EXPECT_EQ(reader.next(line), Status::end);
}

TEST(FrameReader, EofWithEmptyBufferIsACleanEnd) {
  FrameReader reader;
  std::string line;
  reader.finish();
  EXPECT_EQ(reader.next(line), Status::end);
}

TEST(FrameReader, AcceptsALineOfExactlyTheLimitAndRefusesOneByteMore) {
  FrameReader reader(8);
  std::string line;
  reader.append("12345678\n");
  ASSERT_EQ(reader.next(line), Status::frame);
  EXPECT_EQ(line, "12345678");
  reader.append("123456789");
  EXPECT_EQ(reader.next(line), Status::too_large);
}

TEST(FrameReader, ReportsAnOversizeLineBeforeItsNewlineArrives) {
  FrameReader reader(16);
  std::string line;
  reader.append(std::string(17, 'x'));
  EXPECT_EQ(reader.next(line), Status::too_large);
}

TEST(FrameReader, DefaultLimitIsTheSpecs64MiB) {
  EXPECT_EQ(kMaxFrameBytes, 67108864u);  // PROTOCOLS §1 states the number in bytes
  FrameReader reader;
  std::string line;
  reader.append(std::string(kMaxFrameBytes, 'x'));
  EXPECT_EQ(reader.next(line), Status::need_more);
  reader.append("x");
  EXPECT_EQ(reader.next(line), Status::too_large);
}

// Before authentication a connection reads with a small limit; once the peer is known the
// limit is raised, for the line being read too.
TEST(FrameReader, ALoweredLimitRefusesWhatTheRaisedOneAccepts) {
  FrameReader reader;
  reader.set_max_frame_bytes(8);
  std::string line;
  reader.append("123456789");
  EXPECT_EQ(reader.next(line), Status::too_large);
  reader.set_max_frame_bytes(kMaxFrameBytes);
  reader.append("\n");
  ASSERT_EQ(reader.next(line), Status::frame);
  EXPECT_EQ(line, "123456789");
}

// An idle connection keeps little, whatever long line it once sent.
TEST(FrameReader, ALongLineIsFreedOnceConsumed) {
  const size_t long_line = 1u << 20;
  for (bool at_eof : {false, true}) {
    FrameReader reader;
    std::string line;
    reader.append(std::string(long_line, 'x'));
    if (at_eof) {
      reader.finish();
    } else {
      reader.append("\n");
    }
    ASSERT_GE(reader.buffer_capacity(), long_line);
    ASSERT_EQ(reader.next(line), Status::frame);
    EXPECT_EQ(line.size(), long_line);
    EXPECT_EQ(reader.buffered_bytes(), 0u);
    EXPECT_LT(reader.buffer_capacity(), 64u * 1024u) << (at_eof ? "at eof" : "with newline");
  }
  // A partly consumed buffer keeps what is still unread.
  FrameReader reader;
  std::string line;
  reader.append("first\nsecond");
  ASSERT_EQ(reader.next(line), Status::frame);
  EXPECT_EQ(reader.buffered_bytes(), 6u);
  reader.append("\n");
  ASSERT_EQ(reader.next(line), Status::frame);
  EXPECT_EQ(line, "second");
}

}  // namespace
}  // namespace weft::protocol
