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

}  // namespace
}  // namespace weft::protocol
