#include "protocol/response_codec.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "weft/error.hpp"

namespace weft::protocol {
namespace {

using nlohmann::json;

json parse_line(const std::string& line) {
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "a frame is exactly one line";
  return json::parse(line);
}

TEST(ResponseCodec, TokenFrameCarriesIdTypeAndContent) {
  json frame = parse_line(encode_token("a\"b", "line1\nline2"));
  EXPECT_EQ(frame, (json{{"id", "a\"b"}, {"type", "token"}, {"content", "line1\nline2"}}));
}

TEST(ResponseCodec, DoneFrameHasTheSpecsKeys) {
  json frame = parse_line(encode_done("x", "full text", {3, 4}, StopReason::length, "stub"));
  EXPECT_EQ(frame, (json{{"id", "x"},
                         {"type", "done"},
                         {"content", "full text"},
                         {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 4}}},
                         {"stop_reason", "length"},
                         {"backend", "stub"}}));
}

TEST(ResponseCodec, ErrorFrameUsesTheSpecsCodeNames) {
  for (auto [code, name] : {std::pair{ErrorCode::queue_full, "queue_full"},
                            std::pair{ErrorCode::backend_unavailable, "backend_unavailable"},
                            std::pair{ErrorCode::invalid_request, "invalid_request"},
                            std::pair{ErrorCode::frame_too_large, "frame_too_large"},
                            std::pair{ErrorCode::internal, "internal"}}) {
    json frame = parse_line(encode_error("", code, "why"));
    EXPECT_EQ(frame, (json{{"id", ""}, {"type", "error"}, {"code", name}, {"message", "why"}}));
  }
}

TEST(ResponseCodec, InvalidUtf8IsReplacedNotThrown) {
  json frame = parse_line(encode_token("id", std::string("ok\xff")));
  EXPECT_EQ(frame["content"].get<std::string>().substr(0, 2), "ok");
}

TEST(ResponseCodec, DecodesWhatItEncodes) {
  auto done = decode_response(encode_done("q", "text", {1, 2}, StopReason::end, "stub"));
  EXPECT_EQ(done.type, client::Frame::Type::done);
  EXPECT_EQ(done.id, "q");
  EXPECT_EQ(done.content, "text");
  EXPECT_EQ(done.usage.completion_tokens, 2u);
  EXPECT_EQ(done.stop_reason, "end");
  EXPECT_TRUE(done.terminal());
  auto error = decode_response(encode_error("q", ErrorCode::queue_full, "busy"));
  EXPECT_EQ(error.code, "queue_full");
  EXPECT_TRUE(error.terminal());
  EXPECT_FALSE(decode_response(encode_token("q", "t")).terminal());
  auto unknown = decode_response(R"({"id":"q","type":"future","extra":1})");
  EXPECT_EQ(unknown.type, client::Frame::Type::unknown);
  EXPECT_THROW(decode_response("nope"), Error);
}

}  // namespace
}  // namespace weft::protocol
