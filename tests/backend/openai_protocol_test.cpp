#include "backend/openai_protocol.hpp"

#include <gtest/gtest.h>

#include "weft/error.hpp"

namespace weft::backend::openai {
namespace {

using nlohmann::json;

TEST(OpenAiProtocol, ChatBodyStreamsWithUsageAndMapsOptions) {
  GenerationRequest request;
  request.messages = {{Role::system, "sys"}, {Role::user, "hi"}};
  request.options.max_tokens = 9;
  request.options.temperature = 0.5f;
  request.options.top_p = 0.25f;
  request.options.seed = 77;
  request.options.stop = {"END"};
  request.options.presence_penalty = 0.125f;
  request.options.frequency_penalty = 0.375f;
  json body = chat_body(request, "gpt-x");
  EXPECT_EQ(body["model"], "gpt-x");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"], (json{{"include_usage", true}}));
  EXPECT_EQ(body["messages"], (json{{{"role", "system"}, {"content", "sys"}},
                                    {{"role", "user"}, {"content", "hi"}}}));
  EXPECT_EQ(body["max_tokens"], 9);
  EXPECT_EQ(body["temperature"], 0.5f);
  EXPECT_EQ(body["top_p"], 0.25f);
  EXPECT_EQ(body["seed"], 77);
  EXPECT_EQ(body["stop"], (json{"END"}));
  EXPECT_EQ(body["presence_penalty"], 0.125f);
  EXPECT_EQ(body["frequency_penalty"], 0.375f);
  // Extensions stay out unless asked for: strict servers reject unknown fields.
  EXPECT_FALSE(body.contains("top_k"));
  EXPECT_FALSE(body.contains("min_p"));
  EXPECT_FALSE(body.contains("repetition_penalty"));
}

TEST(OpenAiProtocol, ExtensionOptionsAreSentWhenSet) {
  GenerationRequest request;
  request.messages = {{Role::user, "hi"}};
  request.options.top_k = 40;
  request.options.min_p = 0.05f;
  request.options.repeat_penalty = 1.1f;
  json body = chat_body(request, "m");
  EXPECT_EQ(body["top_k"], 40);
  EXPECT_EQ(body["min_p"], 0.05f);
  EXPECT_EQ(body["repetition_penalty"], 1.1f);
}

TEST(OpenAiProtocol, CompletionBodyCarriesThePrompt) {
  GenerationRequest request;
  request.raw_prompt = true;
  request.messages = {{Role::user, "Once"}};
  json body = completion_body(request, "m");
  EXPECT_EQ(body["prompt"], "Once");
  EXPECT_FALSE(body.contains("messages"));
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
}

TEST(OpenAiProtocol, ParsesChunks) {
  auto text = parse_stream_data(
      R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})");
  EXPECT_EQ(text.text, "Hi");
  EXPECT_FALSE(text.finish);

  auto last = parse_stream_data(R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})");
  ASSERT_TRUE(last.finish);
  EXPECT_EQ(*last.finish, StopReason::length);

  auto usage = parse_stream_data(
      R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}})");
  ASSERT_TRUE(usage.usage);
  EXPECT_EQ(usage.usage->prompt_tokens, 12u);
  EXPECT_EQ(usage.usage->completion_tokens, 34u);

  auto completion = parse_stream_data(
      R"({"object":"text_completion","choices":[{"index":0,"text":" upon","finish_reason":null}]})");
  EXPECT_EQ(completion.text, " upon");

  EXPECT_TRUE(parse_stream_data("[DONE]").done_marker);
}

TEST(OpenAiProtocol, MapsFinishReasons) {
  EXPECT_EQ(stop_reason("stop"), StopReason::end);
  EXPECT_EQ(stop_reason("length"), StopReason::length);
  EXPECT_EQ(stop_reason("tool_calls"), StopReason::end);
  EXPECT_EQ(stop_reason("content_filter"), StopReason::end);
}

TEST(OpenAiProtocol, ErrorsCarryMessageTypeAndCode) {
  std::string body =
      R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})";
  EXPECT_EQ(error_message(body),
            "Incorrect API key provided (type: invalid_request_error, code: invalid_api_key)");
  EXPECT_EQ(error_message(R"({"error":{"message":"m","type":"t","code":null}})"), "m (type: t)");
  EXPECT_EQ(error_message(R"({"error":"plain"})"), "plain");
  EXPECT_EQ(error_message("Internal Server Error"), "Internal Server Error");
  auto chunk =
      parse_stream_data(R"({"error":{"message":"overloaded","type":"server_error","code":503}})");
  ASSERT_TRUE(chunk.error);
  EXPECT_EQ(*chunk.error, "overloaded (type: server_error, code: 503)");
}

TEST(OpenAiProtocol, RejectsChunksThatAreNotChunks) {
  EXPECT_THROW(parse_stream_data("{\"choices\":"), Error);
  EXPECT_THROW(parse_stream_data(R"({"object":"x"})"), Error);
  EXPECT_THROW(parse_stream_data("42"), Error);
  EXPECT_THROW(parse_stream_data(R"({"choices":[],"n":1E400})"), Error);
}

TEST(OpenAiProtocol, ParsesTheModelList) {
  EXPECT_EQ(
      parse_models(
          R"({"object":"list","data":[{"id":"a","object":"model"},{"id":"b","object":"model"}]})"),
      (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(parse_models(R"({"models":[]})"), Error);
}

}  // namespace
}  // namespace weft::backend::openai
