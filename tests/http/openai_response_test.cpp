// Generation events → OpenAI chunks and completions: deltas, tool calls as the official
// client reassembles them, reasoning_content, finish_reason, usage, logprobs.
#include <gtest/gtest.h>

#include "http/openai_response.hpp"

namespace weft::http {
namespace {

using nlohmann::json;

TokenEvent token(const std::string& text) {
  return TokenEvent{text, std::nullopt};
}

DoneEvent done(StopReason reason) {
  DoneEvent event;
  event.reason = reason;
  return event;
}

chat::DecoderConfig hermes() {
  chat::DecoderConfig config;
  config.tool_calls = chat::ToolCallFormat::hermes;
  return config;
}

// Rebuilds the message from streamed choices the way the official client does: content
// appended, tool calls merged by index (id/name set once, arguments appended).
json reassemble(const std::vector<json>& choices) {
  json message = {{"content", ""}, {"reasoning_content", ""}, {"tool_calls", json::array()}};
  for (const auto& choice : choices) {
    const auto& delta = choice["delta"];
    if (delta.contains("content"))
      message["content"] =
          message["content"].get<std::string>() + delta["content"].get<std::string>();
    if (delta.contains("reasoning_content")) {
      message["reasoning_content"] = message["reasoning_content"].get<std::string>() +
                                     delta["reasoning_content"].get<std::string>();
    }
    for (const auto& call : delta.value("tool_calls", json::array())) {
      size_t index = call["index"].get<size_t>();
      auto& calls = message["tool_calls"];
      while (calls.size() <= index) calls.push_back({{"function", {{"arguments", ""}}}});
      if (call.contains("id")) calls[index]["id"] = call["id"];
      if (call.contains("type")) calls[index]["type"] = call["type"];
      if (call["function"].contains("name"))
        calls[index]["function"]["name"] = call["function"]["name"];
      calls[index]["function"]["arguments"] =
          calls[index]["function"]["arguments"].get<std::string>() +
          call["function"]["arguments"].get<std::string>();
    }
  }
  return message;
}

TEST(HttpOpenAIResponse, TextStreamsAsContentDeltasAndEndsWithFinishReason) {
  ChatChoiceEncoder encoder(0, {}, false);
  EXPECT_EQ(encoder.opening()["delta"], json::parse(R"({"role":"assistant","content":""})"));
  std::vector<json> choices;
  for (const char* piece : {"Hel", "lo", " world"}) {
    auto choice = encoder.on_token(token(piece));
    if (!choice.is_null()) choices.push_back(choice);
  }
  auto last = encoder.on_done(done(StopReason::length));
  EXPECT_EQ(last["finish_reason"], "length");
  choices.push_back(last);
  for (size_t i = 0; i + 1 < choices.size(); ++i)
    EXPECT_TRUE(choices[i]["finish_reason"].is_null());
  EXPECT_EQ(reassemble(choices)["content"], "Hello world");
  auto collected = encoder.collected();
  EXPECT_EQ(collected["message"]["content"], "Hello world");
  EXPECT_EQ(collected["message"]["role"], "assistant");
  EXPECT_EQ(collected["finish_reason"], "length");
  EXPECT_TRUE(collected["logprobs"].is_null());
}

TEST(HttpOpenAIResponse, ThinkingGoesToReasoningContent) {
  ChatChoiceEncoder encoder(0, {}, false);
  std::vector<json> choices;
  for (const char* piece : {"<thi", "nk>plan</th", "ink>answer"}) {
    auto choice = encoder.on_token(token(piece));
    if (!choice.is_null()) choices.push_back(choice);
  }
  choices.push_back(encoder.on_done(done(StopReason::end)));
  auto message = reassemble(choices);
  EXPECT_EQ(message["reasoning_content"], "plan");
  EXPECT_EQ(message["content"], "answer");
  EXPECT_EQ(encoder.collected()["message"]["reasoning_content"], "plan");
  EXPECT_EQ(encoder.finish_reason(), "stop");
}

TEST(HttpOpenAIResponse, ToolCallsStreamAsIndexedDeltasAndFinishWithToolCalls) {
  ChatChoiceEncoder encoder(0, hermes(), false);
  std::vector<json> choices;
  const std::string output =
      R"(<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>)"
      R"(<tool_call>{"name": "get_time", "arguments": {}}</tool_call>)";
  for (size_t i = 0; i < output.size(); i += 7) {
    auto choice = encoder.on_token(token(output.substr(i, 7)));
    if (!choice.is_null()) choices.push_back(choice);
  }
  auto last = encoder.on_done(done(StopReason::end));
  EXPECT_EQ(last["finish_reason"], "tool_calls");
  choices.push_back(last);
  auto message = reassemble(choices);
  ASSERT_EQ(message["tool_calls"].size(), 2u) << message.dump();
  const auto& first = message["tool_calls"][0];
  EXPECT_EQ(first["type"], "function");
  EXPECT_EQ(first["function"]["name"], "get_weather");
  EXPECT_EQ(json::parse(first["function"]["arguments"].get<std::string>()),
            json::parse(R"({"city": "Paris"})"));
  EXPECT_EQ(first["id"].get<std::string>().rfind("call_", 0), 0u);
  EXPECT_NE(first["id"], message["tool_calls"][1]["id"]);
  EXPECT_EQ(message["content"], "");

  auto collected = encoder.collected();
  EXPECT_TRUE(collected["message"]["content"].is_null());
  ASSERT_EQ(collected["message"]["tool_calls"].size(), 2u);
  EXPECT_EQ(collected["message"]["tool_calls"][0]["id"], first["id"]) << "same id both ways";
  EXPECT_EQ(collected["finish_reason"], "tool_calls");
}

TEST(HttpOpenAIResponse, LogprobsCarryTokenBytesAndAlternatives) {
  ChatChoiceEncoder encoder(0, {}, true);
  TokenEvent event = token("hi");
  event.logprob = TokenLogprob{5, "hi", -0.25f};
  event.top_logprobs = {{5, "hi", -0.25f}, {6, "ho", -1.5f}};
  auto choice = encoder.on_token(event);
  const auto& entry = choice["logprobs"]["content"][0];
  EXPECT_EQ(entry["token"], "hi");
  EXPECT_FLOAT_EQ(entry["logprob"].get<float>(), -0.25f);
  EXPECT_EQ(entry["bytes"], json::parse("[104, 105]"));
  ASSERT_EQ(entry["top_logprobs"].size(), 2u);
  EXPECT_EQ(entry["top_logprobs"][1]["token"], "ho");
  encoder.on_done(done(StopReason::end));
  EXPECT_EQ(encoder.collected()["logprobs"]["content"].size(), 1u);
}

TEST(HttpOpenAIResponse, UsageAndChunkEnvelopes) {
  Usage usage{10, 5, 4};
  EXPECT_EQ(usage_json(usage), json::parse(R"({"prompt_tokens":10,"completion_tokens":5,
    "total_tokens":15,"prompt_tokens_details":{"cached_tokens":4}})"));
  ResponseIdentity identity{"chatcmpl-1", 1700000000, "m"};
  auto chunk = chat_chunk(identity, json::array(), true);
  EXPECT_EQ(chunk["object"], "chat.completion.chunk");
  EXPECT_TRUE(chunk.contains("usage") && chunk["usage"].is_null());
  EXPECT_FALSE(chat_chunk(identity, json::array(), false).contains("usage"));
  auto last = chat_usage_chunk(identity, usage);
  EXPECT_TRUE(last["choices"].empty());
  EXPECT_EQ(last["usage"]["total_tokens"], 15);
  auto whole = chat_completion(identity, json::array(), usage);
  EXPECT_EQ(whole["object"], "chat.completion");
  EXPECT_EQ(whole["created"], 1700000000);
}

TEST(HttpOpenAIResponse, FinishReasons) {
  EXPECT_EQ(finish_reason_of(StopReason::end, false), "stop");
  EXPECT_EQ(finish_reason_of(StopReason::length, false), "length");
  EXPECT_EQ(finish_reason_of(StopReason::end, true), "tool_calls");
}

TEST(HttpOpenAIResponse, Base64FloatsAreLittleEndianFloat32) {
  // 1.0f is 0x3F800000 → bytes 00 00 80 3F → "AACAPw=="; -2.0f is 0xC0000000.
  EXPECT_EQ(base64_floats({1.0f}), "AACAPw==");
  EXPECT_EQ(base64_floats({1.0f, -2.0f}), "AACAPwAAAMA=");
}

TEST(HttpOpenAIResponse, CompletionLogprobsShape) {
  TokenEvent a = token("Once");
  a.logprob = TokenLogprob{1, "Once", -0.5f};
  a.top_logprobs = {{1, "Once", -0.5f}};
  TokenEvent b = token(" upon");
  b.logprob = TokenLogprob{2, " upon", -1.0f};
  auto logprobs = completion_logprobs_json({a, b}, 3);
  EXPECT_EQ(logprobs["tokens"], json::parse(R"(["Once", " upon"])"));
  EXPECT_EQ(logprobs["text_offset"], json::parse("[3, 7]"));
  EXPECT_FLOAT_EQ(logprobs["token_logprobs"][1].get<float>(), -1.0f);
  EXPECT_FLOAT_EQ(logprobs["top_logprobs"][0]["Once"].get<float>(), -0.5f);
}

TEST(HttpOpenAIResponse, InvalidUtf8IsReplacedNotThrown) {
  EXPECT_NO_THROW(dump_json(json{{"token", std::string("\xE2\x82")}}));
}

}  // namespace
}  // namespace weft::http
