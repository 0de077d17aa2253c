#include "server/request_log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weft::server {
namespace {

TEST(RequestLog, AnIdUpToTheLimitIsWrittenWhole) {
  RequestRecord record;
  record.id = std::string(kMaxLogFieldBytes, 'a');
  record.backend = "stub";
  record.stop_reason = "end";
  const auto line = format_request_log(record);
  EXPECT_NE(line.find("id=\"" + record.id + "\" backend=\"stub\""), std::string::npos) << line;
  EXPECT_EQ(line.find("id_bytes="), std::string::npos) << line;
}

// A 60 MB id used to become a 60 MB log line.
TEST(RequestLog, ALongIdIsCutAndItsLengthGiven) {
  RequestRecord record;
  record.id = std::string(1'000'000, 'b');
  record.stop_reason = "error";
  const auto line = format_request_log(record);
  EXPECT_LT(line.size(), kMaxLogFieldBytes + 300) << line.substr(0, 400);
  EXPECT_NE(line.find("id=\"" + std::string(kMaxLogFieldBytes, 'b') + "\xE2\x80\xA6\""),
            std::string::npos);
  EXPECT_NE(line.find(" id_bytes=1000000 "), std::string::npos);
}

// The cut never splits a character: "é" is two bytes, so an odd limit falls inside one.
TEST(RequestLog, TheCutFallsBetweenCharacters) {
  RequestRecord record;
  std::string id;
  while (id.size() <= kMaxLogFieldBytes + 4) id += "\xC3\xA9";
  record.id = "x" + id;  // shifts the characters so that the limit falls inside one
  const auto line = format_request_log(record);
  const size_t kept_characters = (kMaxLogFieldBytes - 1) / 2;
  std::string expected = "id=\"x";
  for (size_t i = 0; i < kept_characters; ++i) expected += "\xC3\xA9";
  expected += "\xE2\x80\xA6\"";
  EXPECT_NE(line.find(expected), std::string::npos) << line;
  EXPECT_EQ(line.find("\xEF\xBF\xBD"), std::string::npos) << "a replacement character";
}

}  // namespace
}  // namespace weft::server
