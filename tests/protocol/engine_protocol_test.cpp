// The engine protocol's codec: commands validated where they enter, events read back.
// Expected lines are compared as parsed JSON, written out here by hand from the protocol.
#include "protocol/engine_protocol.hpp"

#include <gtest/gtest.h>

namespace weft::protocol::engine {
namespace {

using nlohmann::json;

std::string bad_message(std::string_view line) {
  auto command = decode_command(line);
  auto* bad = std::get_if<BadCommand>(&command);
  return bad ? bad->message : "(accepted)";
}

TEST(EngineProtocol, DecodesAGenerateWithItsOptions) {
  auto command = decode_command(
      R"({"v":1,"type":"generate","id":"g1","model":"m","messages":[{"role":"system","content":"be brief"},)"
      R"({"role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]}],)"
      R"("max_tokens":7,"temperature":0,"top_p":0.5,"top_k":3,"seed":9,"stop":"END","extra":{"x":1}})");
  auto* generate = std::get_if<GenerateCommand>(&command);
  ASSERT_NE(generate, nullptr);
  EXPECT_EQ(generate->id, json("g1"));
  EXPECT_EQ(generate->model, "m");
  ASSERT_EQ(generate->request.messages.size(), 2u);
  EXPECT_EQ(generate->request.messages[0].role, Role::system);
  EXPECT_EQ(generate->request.messages[1].content, "hi there");
  const auto& options = generate->request.options;
  EXPECT_EQ(options.max_tokens, 7u);
  EXPECT_EQ(options.temperature, 0.0f);
  EXPECT_EQ(options.top_p, 0.5f);
  EXPECT_EQ(options.top_k, 3u);
  EXPECT_EQ(options.seed, 9u);
  EXPECT_EQ(options.stop, std::vector<std::string>{"END"});
}

TEST(EngineProtocol, KeepsIntegerIdsAsSent) {
  auto command = decode_command(R"({"v":1,"type":"cancel","id":42})");
  auto* cancel = std::get_if<CancelCommand>(&command);
  ASSERT_NE(cancel, nullptr);
  EXPECT_EQ(cancel->id, json(42));
}

TEST(EngineProtocol, NamesWhatIsWrongWithABadLine) {
  EXPECT_EQ(bad_message("not json"), "bad ndjson: the line is not valid JSON");
  EXPECT_EQ(bad_message("[1]"), "bad ndjson: the line is not a JSON object");
  EXPECT_EQ(bad_message(R"({"type":"shutdown"})"),
            "protocol version mismatch: expected 1, got none");
  EXPECT_EQ(bad_message(R"({"v":"1","type":"shutdown"})"),
            "protocol version mismatch: expected 1, got \"1\"");
  EXPECT_EQ(bad_message(R"({"v":1})"), "'type' is required");
  EXPECT_EQ(bad_message(R"({"v":1,"type":"fly"})"),
            "unknown message type 'fly' (expected load, generate, cancel or shutdown)");
  EXPECT_EQ(bad_message(R"({"v":1,"type":"load"})"), "'model' is required");
  EXPECT_EQ(bad_message(R"({"v":1,"type":"load","model":""})"),
            "'model' must be a non-empty string, got \"\"");
  EXPECT_EQ(bad_message(R"({"v":1,"type":"generate","messages":[{"role":"user","content":"x"}]})"),
            "'id' is required");
  EXPECT_EQ(bad_message(R"({"v":1,"type":"generate","id":"a"})"), "'messages' is required");
  EXPECT_EQ(bad_message(R"({"v":1,"type":"generate","id":"a","messages":[]})"),
            "'messages' must be a non-empty array of {role, content}");
  EXPECT_EQ(
      bad_message(
          R"({"v":1,"type":"generate","id":"a","messages":[{"role":"bot","content":"x"}]})"),
      "messages[0].role must be \"system\", \"user\", \"assistant\" or \"tool\", got \"bot\"");
  EXPECT_EQ(
      bad_message(
          R"({"v":1,"type":"generate","id":"a","messages":[{"role":"user","content":"x"}],"max_tokens":0})"),
      "'max_tokens' must be from 1 to 4294967295, got 0");
  EXPECT_EQ(
      bad_message(
          R"({"v":1,"type":"generate","id":"a","messages":[{"role":"user","content":"x"}],"temperature":-1})"),
      "'temperature' must be between 0.0 and 100.0, got -1");
  EXPECT_EQ(bad_message(R"({"v":1,"type":"cancel","id":""})"),
            "'id' must be a non-empty string or an integer, got \"\"");
}

TEST(EngineProtocol, ABadLineKeepsItsIdSoTheHostCanEndThatGeneration) {
  auto command = decode_command(R"({"v":2,"type":"generate","id":"g7"})");
  auto* bad = std::get_if<BadCommand>(&command);
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->id, json("g7"));
  EXPECT_TRUE(std::holds_alternative<BlankLine>(decode_command("  \r")));
}

TEST(EngineProtocol, EncodesEventsAsTheProtocolWritesThem) {
  EXPECT_EQ(json::parse(encode_ready(std::nullopt)),
            json::parse(R"({"v":1,"type":"ready","model":null})"));
  EXPECT_EQ(json::parse(encode_token(json("a"), "hé")),
            json::parse(R"({"v":1,"type":"token","id":"a","text":"hé"})"));
  EXPECT_EQ(json::parse(encode_done(json(3), StopReason::cancelled, "xy", Usage{4, 2, 0})),
            json::parse(R"({"v":1,"type":"done","id":3,"reason":"cancel","text":"xy",)"
                        R"("usage":{"prompt_tokens":4,"completion_tokens":2}})"));
  EXPECT_EQ(json::parse(encode_error(std::nullopt, "boom")),
            json::parse(R"({"v":1,"type":"error","message":"boom"})"));
  EXPECT_EQ(json::parse(encode_log("warn", "careful")),
            json::parse(R"({"v":1,"type":"log","level":"warn","message":"careful"})"));
  EXPECT_EQ(done_reason(StopReason::end), "stop");
  EXPECT_EQ(done_reason(StopReason::length), "length");
}

TEST(EngineProtocol, TimestampsAreRfc3339WithMilliseconds) {
  const std::string stamp = utc_timestamp_now();
  ASSERT_EQ(stamp.size(), 24u) << stamp;
  EXPECT_EQ(stamp[10], 'T');
  EXPECT_EQ(stamp[19], '.');
  EXPECT_EQ(stamp.back(), 'Z');
}

TEST(EngineProtocol, DecodesEventsAndRefusesBadOnes) {
  auto decoded = decode_event(R"({"v":1,"type":"done","id":"a","reason":"length","text":"t"})");
  auto* done = std::get_if<EngineEvent>(&decoded);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->type, EngineEvent::Type::done);
  EXPECT_EQ(done->reason, StopReason::length);
  EXPECT_EQ(done->text, "t");
  auto error = decode_event(R"({"v":1,"type":"error","message":"m","code":"queue_full"})");
  ASSERT_NE(std::get_if<EngineEvent>(&error), nullptr);
  EXPECT_EQ(std::get<EngineEvent>(error).code, ErrorCode::queue_full);
  EXPECT_TRUE(std::get<EngineEvent>(error).id.empty());
  for (const char* line : {R"({"v":1,"type":"done","id":"a","reason":"tired"})",
                           R"({"v":1,"type":"token","id":"a"})", R"({"v":9,"type":"ready"})",
                           R"({"v":1,"type":"token","text":"x"})", "{", R"({"v":1,"type":"?"})"}) {
    EXPECT_TRUE(std::holds_alternative<BadEvent>(decode_event(line))) << line;
  }
}

TEST(EngineProtocol, EncodedCommandsDecodeToTheSameRequest) {
  GenerationRequest request;
  request.messages = {{Role::system, "s"}, {Role::user, "u"}};
  request.options.max_tokens = 5;
  request.options.temperature = 0.25f;
  request.options.stop = {"a", "b"};
  auto command = decode_command(encode_generate("id-1", request));
  auto* generate = std::get_if<GenerateCommand>(&command);
  ASSERT_NE(generate, nullptr);
  EXPECT_EQ(generate->id, json("id-1"));
  EXPECT_EQ(generate->request.messages[1].content, "u");
  EXPECT_EQ(generate->request.options.max_tokens, 5u);
  EXPECT_EQ(generate->request.options.temperature, 0.25f);
  EXPECT_EQ(generate->request.options.stop, request.options.stop);
  EXPECT_TRUE(std::holds_alternative<ShutdownCommand>(decode_command(encode_shutdown())));
}

}  // namespace
}  // namespace weft::protocol::engine
