// RequestV2 decoding and the response frames, against inferd docs/protocol-v2.md §3–§6 and
// the vectors of tests/protocol/data/inferd_v2_vectors.json.
#include "protocol/wire_v2_messages.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "protocol/wire_v2_framing.hpp"
#include "support/inferd_v2_vectors.hpp"

namespace weft::protocol::v2 {
namespace {

using nlohmann::json;

Request decode_message_ok(const json& body) {
  auto decoded = decode_request(body.dump());
  if (auto* failure = std::get_if<Failure>(&decoded)) {
    ADD_FAILURE() << failure->code << ": " << failure->message;
    return {};
  }
  return std::get<Request>(decoded);
}

Failure decode_failure(const std::string& payload) {
  auto decoded = decode_request(payload);
  if (!std::holds_alternative<Failure>(decoded)) {
    ADD_FAILURE() << "accepted: " << payload;
    return {};
  }
  return std::get<Failure>(decoded);
}

// The payload of one encoded frame.
json payload_of(const std::string& frame) {
  FrameDecoder decoder;
  decoder.append(frame);
  Frame decoded;
  EXPECT_EQ(decoder.next(decoded), FrameDecoder::Status::frame);
  EXPECT_EQ(decoded.type, FrameType::json);
  return json::parse(decoded.payload);
}

TEST(WireV2Messages, WorkedExampleRequestDecodes) {
  Request request = decode_message_ok(json::parse(
      test::inferd_v2_vectors()["worked_example"]["request_payload"].get<std::string>()));
  EXPECT_EQ(request.generation.id, "r1");
  ASSERT_EQ(request.generation.messages.size(), 1u);
  EXPECT_EQ(request.generation.messages[0].role, Role::user);
  EXPECT_EQ(request.generation.messages[0].content, "hi");
  EXPECT_EQ(request.generation.options.max_tokens, 4u);
  EXPECT_TRUE(request.stream);  // omitted means streaming (§3.1)
  EXPECT_FALSE(request.thinking);
}

TEST(WireV2Messages, ResponsesEncodeAsTheWorkedExample) {
  const auto expected = test::inferd_v2_vectors()["worked_example"]["responses"];
  auto raw = [](const std::string& frame) {
    FrameDecoder decoder;
    decoder.append(frame);
    Frame decoded;
    decoder.next(decoded);
    return decoded.payload;
  };
  EXPECT_EQ(raw(encode_text_delta("r1", "Hello")), expected[0].get<std::string>());
  EXPECT_EQ(raw(encode_text_delta("r1", " there")), expected[1].get<std::string>());
  EXPECT_EQ(raw(encode_done("r1", 12, 2, "end_turn", "llamacpp")), expected[2].get<std::string>());
}

TEST(WireV2Messages, AWireVersionOtherThanOneIsRefusedAndCloses) {
  const auto all =
      test::inferd_v2_vectors();  // named: a range over a temporary's member would dangle
  for (const auto& body : all["wire_version_mismatch"]["requests"]) {
    Failure failure = decode_failure(body.dump());
    EXPECT_EQ(failure.code, "wire_version_unsupported") << body.dump();
    EXPECT_TRUE(failure.close);
    EXPECT_EQ(failure.id, body["id"]);
    // The message names both versions (§4.3).
    EXPECT_NE(failure.message.find("wire_version 1"), std::string::npos) << failure.message;
  }
}

TEST(WireV2Messages, InvalidRequestsKeepTheConnection) {
  const auto all =
      test::inferd_v2_vectors();  // named: a range over a temporary's member would dangle
  for (const auto& body : all["invalid_requests"]["requests"]) {
    Failure failure = decode_failure(body.dump());
    EXPECT_EQ(failure.code, "invalid_request") << body.dump();
    EXPECT_FALSE(failure.close) << body.dump();
    EXPECT_EQ(failure.id, body["id"]);
  }
  for (const char* garbage : {"", "not json", "[1,2]", "\"text\"", "{\"wire_version\":1,"}) {
    Failure failure = decode_failure(garbage);
    EXPECT_EQ(failure.code, "invalid_request") << garbage;
  }
}

TEST(WireV2Messages, UnknownFieldsAndBlockTypesAreIgnored) {
  Request request =
      decode_message_ok(test::inferd_v2_vectors()["forward_compatible_request"]["request"]);
  ASSERT_EQ(request.generation.messages.size(), 1u);
  EXPECT_EQ(request.generation.messages[0].content, "hi");
}

TEST(WireV2Messages, ToolTurnsBecomeTemplateMessages) {
  json body = {
      {"wire_version", 1},
      {"id", "t"},
      {"tools",
       {{{"name", "get_weather"},
         {"description", "Weather of a city"},
         {"input_schema",
          {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}}},
      {"messages",
       {{{"role", "user"}, {"content", {{{"type", "text"}, {"text", "Weather in Oslo?"}}}}},
        {{"role", "assistant"},
         {"content",
          {{{"type", "tool_use"},
            {"tool_call_id", "c1"},
            {"name", "get_weather"},
            {"input", {{"city", "Oslo"}}}}}}},
        {{"role", "user"},
         {"content",
          {{{"type", "tool_result"},
            {"tool_call_id", "c1"},
            {"content", {{{"type", "text"}, {"text", "sunny"}}}}}}}}}}};
  Request request = decode_message_ok(body);
  EXPECT_TRUE(request.has_tools);
  const auto tools = json::parse(request.generation.tools_json);
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(tools[0]["type"], "function");
  EXPECT_EQ(tools[0]["function"]["name"], "get_weather");
  EXPECT_EQ(tools[0]["function"]["parameters"], body["tools"][0]["input_schema"]);
  const auto& messages = request.generation.messages;
  ASSERT_EQ(messages.size(), 3u);
  ASSERT_EQ(messages[1].tool_calls.size(), 1u);
  EXPECT_EQ(messages[1].tool_calls[0].id, "c1");
  EXPECT_EQ(messages[1].tool_calls[0].name, "get_weather");
  EXPECT_EQ(json::parse(messages[1].tool_calls[0].arguments_json), json({{"city", "Oslo"}}));
  EXPECT_EQ(messages[2].role, Role::tool);
  EXPECT_EQ(messages[2].tool_call_id, "c1");
  EXPECT_EQ(messages[2].content, "sunny");
}

TEST(WireV2Messages, ResponseFormatBecomesAGrammar) {
  json body = json::parse(
      test::inferd_v2_vectors()["worked_example"]["request_payload"].get<std::string>());
  body["response_format"] = {
      {"type", "json_schema"},
      {"schema",
       {{"type", "object"}, {"properties", {{"n", {{"type", "integer"}}}}}, {"required", {"n"}}}}};
  EXPECT_FALSE(decode_message_ok(body).generation.options.grammar.empty());
  body["response_format"] = {{"type", "some_future_format"}};
  EXPECT_TRUE(decode_message_ok(body).generation.options.grammar.empty());
  body["response_format"] = {{"type", "json_schema"}, {"schema", "not a schema"}};
  EXPECT_EQ(decode_failure(body.dump()).code, "invalid_request");
}

TEST(WireV2Messages, AttachmentTablesAreBoundedAndChecked) {
  json request = test::inferd_v2_vectors()["multimodal_request"]["request"];
  Request decoded = decode_message_ok(request);
  ASSERT_EQ(decoded.attachments.size(), 1u);
  EXPECT_EQ(decoded.attachments[0].kind, "image");
  EXPECT_TRUE(decoded.attachments[0].carries_bytes());

  json many = request;
  many["attachments"] = json::array();
  for (int i = 0; i < 33; ++i) {
    // Appended, not "i" + to_string(i): GCC 12 warns falsely (-Wrestrict) on the latter.
    std::string id = "image";
    id += std::to_string(i);
    many["attachments"].push_back({{"kind", "image"}, {"id", id}, {"width", 1}, {"height", 1}});
  }
  Failure failure = decode_failure(many.dump());
  EXPECT_EQ(failure.code, "invalid_request");
  EXPECT_TRUE(failure.close);  // its BLOBs would follow: the stream cannot be followed

  // width × height × 3 RGB bytes (spec §3.5): the Go round trip's 2×2 image is 12 bytes.
  EXPECT_EQ(decoded.attachments[0].image_bytes, 12u);
  json sizeless = request;
  sizeless["attachments"][0].erase("width");
  EXPECT_EQ(decode_failure(sizeless.dump()).code, "invalid_request");
  json huge = request;
  huge["attachments"][0]["width"] = 4294967295u;
  huge["attachments"][0]["height"] = 4294967295u;
  Failure too_large = decode_failure(huge.dump());
  EXPECT_EQ(too_large.code, "frame_too_large");
  EXPECT_TRUE(too_large.close);
  json empty = request;
  empty["attachments"][0]["width"] = 0;
  EXPECT_FALSE(decode_message_ok(empty).attachments[0].carries_bytes());  // clients send no BLOB

  json duplicate = request;
  duplicate["attachments"].push_back(request["attachments"][0]);
  EXPECT_TRUE(decode_failure(duplicate.dump()).close);
}

TEST(WireV2Messages, BlobDescriptorsAreValidated) {
  auto descriptor =
      decode_blob_descriptor(test::inferd_v2_vectors()["multimodal_request"]["descriptor"].dump());
  ASSERT_TRUE(std::holds_alternative<BlobDescriptor>(descriptor));
  EXPECT_EQ(std::get<BlobDescriptor>(descriptor).attachment_id, "img");
  EXPECT_EQ(std::get<BlobDescriptor>(descriptor).len, 12u);
  for (const char* bad : {"{}", "[]", "{\"type\":\"attachment_blob\",\"attachment_id\":\"a\"}",
                          "{\"type\":\"attachment_blob\",\"attachment_id\":\"a\",\"len\":-1}"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(decode_blob_descriptor(bad))) << bad;
  }
}

TEST(WireV2Messages, ToolUseAndErrorFramesCarryTheSpecFields) {
  json tool = payload_of(encode_tool_use("r", "c1", "f", {{"a", 1}}));
  EXPECT_EQ(tool, json({{"id", "r"},
                        {"type", "frame"},
                        {"block",
                         {{"type", "tool_use"},
                          {"tool_call_id", "c1"},
                          {"name", "f"},
                          {"input", {{"a", 1}}}}}}));
  json error = payload_of(encode_error("r", "queue_full", "busy"));
  EXPECT_EQ(error,
            json({{"id", "r"}, {"type", "error"}, {"code", "queue_full"}, {"message", "busy"}}));
  json thinking = payload_of(encode_thinking_delta("r", "hmm"));
  EXPECT_EQ(thinking["block"], json({{"type", "thinking"}, {"delta", "hmm"}}));
}

}  // namespace
}  // namespace weft::protocol::v2
