// OpenAI request bodies → GenerationRequest: every field's mapping and the 400s naming fields.
#include <gtest/gtest.h>

#include "http/api_error.hpp"
#include "http/api_error_of.hpp"
#include "http/openai_request.hpp"
#include "http/request_fields.hpp"

namespace weft::http {
namespace {

using nlohmann::json;

TEST(HttpOpenAIRequest, MessagesMapRolesContentPartsToolCallsAndToolResults) {
  auto request = parse_chat_completion_request(json::parse(R"({
    "model": "m",
    "messages": [
      {"role": "developer", "content": "be brief"},
      {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
    ]})"));
  const auto& messages = request.generation.messages;
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0].role, Role::system);
  EXPECT_EQ(messages[0].content, "be brief");
  EXPECT_EQ(messages[1].content, "ab");
  EXPECT_EQ(messages[2].role, Role::assistant);
  EXPECT_EQ(messages[2].content, "");
  ASSERT_EQ(messages[2].tool_calls.size(), 1u);
  EXPECT_EQ(messages[2].tool_calls[0].id, "call_1");
  EXPECT_EQ(messages[2].tool_calls[0].name, "get_weather");
  EXPECT_EQ(messages[2].tool_calls[0].arguments_json, R"({"city":"Paris"})");
  EXPECT_EQ(messages[3].role, Role::tool);
  EXPECT_EQ(messages[3].tool_call_id, "call_1");
  EXPECT_EQ(request.model, "m");
}

TEST(HttpOpenAIRequest, SamplingFieldsReachTheGenerationOptions) {
  auto request = parse_chat_completion_request(json::parse(R"({
    "messages": [{"role": "user", "content": "hi"}],
    "max_tokens": 10, "max_completion_tokens": 7, "temperature": 0.5, "top_p": 0.9,
    "top_k": 40, "min_p": 0.05, "seed": 42, "stop": "END", "presence_penalty": 0.5,
    "frequency_penalty": -0.5, "repeat_penalty": 1.1, "logit_bias": {"15": -100, "7": 2.5},
    "logprobs": true, "top_logprobs": 3, "n": 2, "stream": true,
    "stream_options": {"include_usage": true}, "user": "u", "unknown_field": [1, 2]})"));
  const auto& options = request.generation.options;
  EXPECT_EQ(options.max_tokens, 7u);  // max_completion_tokens wins
  EXPECT_FLOAT_EQ(*options.temperature, 0.5f);
  EXPECT_FLOAT_EQ(*options.top_p, 0.9f);
  EXPECT_EQ(*options.top_k, 40u);
  EXPECT_FLOAT_EQ(*options.min_p, 0.05f);
  EXPECT_EQ(*options.seed, 42u);
  EXPECT_EQ(options.stop, std::vector<std::string>{"END"});
  EXPECT_FLOAT_EQ(*options.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(*options.frequency_penalty, -0.5f);
  EXPECT_FLOAT_EQ(*options.repeat_penalty, 1.1f);
  ASSERT_EQ(options.logit_bias.size(), 2u);
  EXPECT_EQ(options.logit_bias[0], (std::pair<int32_t, float>{15, -100.0f}));
  EXPECT_EQ(options.logit_bias[1], (std::pair<int32_t, float>{7, 2.5f}));
  EXPECT_TRUE(options.logprobs);
  EXPECT_EQ(options.top_logprobs, 3u);
  EXPECT_EQ(request.n, 2u);
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.include_usage);
}

TEST(HttpOpenAIRequest, DefaultsWhenFieldsAreAbsentOrNull) {
  auto request = parse_chat_completion_request(json::parse(
      R"({"messages": [{"role": "user", "content": "hi"}], "temperature": null, "stop": null})"));
  EXPECT_EQ(request.generation.options.max_tokens, kDefaultChatMaxTokens);
  EXPECT_FALSE(request.generation.options.temperature);
  EXPECT_TRUE(request.generation.options.stop.empty());
  EXPECT_EQ(request.n, 1u);
  EXPECT_FALSE(request.stream);
  EXPECT_TRUE(request.generation.tools_json.empty());
}

TEST(HttpOpenAIRequest, WrongTypesAreRefusedNamingTheField) {
  const json base = json::parse(R"({"messages": [{"role": "user", "content": "hi"}]})");
  auto with = [&](const char* field, json value) {
    json body = base;
    body[field] = std::move(value);
    return error_of([&] { parse_chat_completion_request(body); });
  };
  for (auto [field, value] :
       std::vector<std::pair<const char*, json>>{{"temperature", "hot"},
                                                 {"max_tokens", 1.5},
                                                 {"max_tokens", 0},
                                                 {"n", 100},
                                                 {"stream", "yes"},
                                                 {"top_p", 2},
                                                 {"stop", json::array({1})},
                                                 {"logit_bias", json{{"x", 1}}},
                                                 {"tool_choice", "sometimes"}}) {
    auto error = with(field, value);
    EXPECT_EQ(error.status, 400) << field;
    EXPECT_EQ(error.param, field) << value.dump();
    EXPECT_NE(error.message.find(field), std::string::npos) << error.message;
  }
  auto no_messages = error_of([] { parse_chat_completion_request(json::object()); });
  EXPECT_EQ(no_messages.param, "messages");
  auto bad_role = error_of([] {
    parse_chat_completion_request(
        json::parse(R"({"messages": [{"role": "robot", "content": ""}]})"));
  });
  EXPECT_EQ(bad_role.param, "messages[0].role");
  auto image = error_of([] {
    parse_chat_completion_request(json::parse(
        R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]})"));
  });
  EXPECT_EQ(image.param, "messages[0].content");
}

TEST(HttpOpenAIRequest, ToolsAndToolChoice) {
  const json tools = json::parse(
      R"([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}])");
  json body = {{"messages", json::array({{{"role", "user"}, {"content", "x"}}})}, {"tools", tools}};
  auto automatic = parse_chat_completion_request(body);
  EXPECT_TRUE(automatic.has_tools);
  EXPECT_EQ(json::parse(automatic.generation.tools_json), tools);
  EXPECT_EQ(automatic.tool_choice.kind, ToolChoice::Kind::automatic);

  body["tool_choice"] = "none";
  auto none = parse_chat_completion_request(body);
  EXPECT_TRUE(none.generation.tools_json.empty()) << "tool_choice none hides the tools";

  body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "f"}}}};
  auto named = parse_chat_completion_request(body);
  EXPECT_EQ(named.tool_choice.kind, ToolChoice::Kind::named);
  EXPECT_EQ(named.tool_choice.name, "f");
}

TEST(HttpOpenAIRequest, ResponseFormatIsRead) {
  json body = json::parse(R"({"messages": [{"role": "user", "content": "x"}],
    "response_format": {"type": "json_schema", "json_schema": {"name": "s",
      "schema": {"type": "object"}}}})");
  auto request = parse_chat_completion_request(body);
  EXPECT_EQ(request.format.kind, OutputFormat::Kind::json_schema);
  EXPECT_EQ(request.format.schema, nlohmann::ordered_json::parse(R"({"type": "object"})"));
  body["response_format"] = {{"type", "xml"}};
  EXPECT_EQ(error_of([&] { parse_chat_completion_request(body); }).param, "response_format.type");
}

TEST(HttpOpenAIRequest, CompletionPromptsAreStringsArraysOrTokenIds) {
  auto one = parse_completion_request(json::parse(R"({"prompt": "Once"})"));
  ASSERT_EQ(one.prompts.size(), 1u);
  EXPECT_EQ(std::get<std::string>(one.prompts[0]), "Once");
  EXPECT_EQ(one.options.max_tokens, 16u) << "OpenAI's default for completions";

  auto many = parse_completion_request(json::parse(R"({"prompt": ["a", "b"], "logprobs": 2})"));
  ASSERT_EQ(many.prompts.size(), 2u);
  EXPECT_EQ(std::get<std::string>(many.prompts[1]), "b");
  EXPECT_TRUE(many.options.logprobs);
  EXPECT_EQ(many.options.top_logprobs, 2u);

  auto ids = parse_completion_request(json::parse(R"({"prompt": [1, 2, 3]})"));
  EXPECT_EQ(std::get<std::vector<int32_t>>(ids.prompts[0]), (std::vector<int32_t>{1, 2, 3}));
  auto nested = parse_completion_request(json::parse(R"({"prompt": [[1], [2, 3]]})"));
  EXPECT_EQ(nested.prompts.size(), 2u);

  EXPECT_EQ(error_of([] { parse_completion_request(json::parse(R"({"prompt": 5})")); }).param,
            "prompt");
  EXPECT_EQ(error_of([] { parse_completion_request(json::parse(R"({"prompt": [-1]})")); }).param,
            "prompt");
}

TEST(HttpOpenAIRequest, EmbeddingInputs) {
  auto request = parse_embeddings_request(json::parse(R"({"input": ["a", "b"], "model": "m"})"));
  EXPECT_EQ(request.inputs, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(request.base64);
  auto base64 =
      parse_embeddings_request(json::parse(R"({"input": "a", "encoding_format": "base64"})"));
  EXPECT_TRUE(base64.base64);
  EXPECT_EQ(error_of([] { parse_embeddings_request(json::parse(R"({"input": []})")); }).param,
            "input");
}

TEST(HttpOpenAIRequest, BodiesThatAreNotJsonObjectsAre400) {
  EXPECT_EQ(error_of([] { parse_json_body("{not json"); }).status, 400);
  EXPECT_EQ(error_of([] { parse_json_body("[1]"); }).status, 400);
}

}  // namespace
}  // namespace weft::http
