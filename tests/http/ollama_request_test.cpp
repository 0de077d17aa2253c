// Ollama request bodies → GenerationRequest: options, format, think, tools, context.
#include <gtest/gtest.h>

#include "http/api_error.hpp"
#include "http/api_error_of.hpp"
#include "http/ollama_request.hpp"
#include "http/ollama_response.hpp"
#include "http/sampling_fields.hpp"

namespace weft::http {
namespace {

using nlohmann::json;

TEST(HttpOllamaRequest, ChatOptionsMapToGenerationOptions) {
  auto request = parse_ollama_chat_request(json::parse(R"({
    "model": "m:latest",
    "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                 {"role": "assistant", "content": "", "tool_calls": [
                   {"function": {"name": "f", "arguments": {"x": 1}}}]},
                 {"role": "tool", "content": "42", "tool_name": "f"}],
    "options": {"num_predict": 12, "num_ctx": 2048, "temperature": 0.2, "top_k": 5,
                "top_p": 0.8, "min_p": 0.1, "seed": 7, "stop": ["a", "b"],
                "repeat_penalty": 1.2, "presence_penalty": 0.1, "frequency_penalty": 0.3,
                "mirostat": 0},
    "keep_alive": "5m", "think": true})"));
  EXPECT_EQ(request.model, "m:latest");
  EXPECT_TRUE(request.stream) << "Ollama streams by default";
  EXPECT_EQ(request.think, true);
  const auto& options = request.generation.options;
  EXPECT_EQ(options.max_tokens, 12u);
  EXPECT_FLOAT_EQ(*options.temperature, 0.2f);
  EXPECT_EQ(*options.top_k, 5u);
  EXPECT_FLOAT_EQ(*options.top_p, 0.8f);
  EXPECT_FLOAT_EQ(*options.min_p, 0.1f);
  EXPECT_EQ(*options.seed, 7u);
  EXPECT_EQ(options.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_FLOAT_EQ(*options.repeat_penalty, 1.2f);
  EXPECT_FLOAT_EQ(*options.presence_penalty, 0.1f);
  EXPECT_FLOAT_EQ(*options.frequency_penalty, 0.3f);
  const auto& messages = request.generation.messages;
  ASSERT_EQ(messages.size(), 4u);
  ASSERT_EQ(messages[2].tool_calls.size(), 1u);
  EXPECT_EQ(json::parse(messages[2].tool_calls[0].arguments_json), json::parse(R"({"x":1})"));
  EXPECT_EQ(messages[3].role, Role::tool);
  EXPECT_EQ(messages[3].name, "f");
}

TEST(HttpOllamaRequest, NumPredictMinusOneMeansUntilTheModelStops) {
  auto request = parse_ollama_chat_request(
      json::parse(R"({"messages": [], "options": {"num_predict": -1}, "stream": false})"));
  EXPECT_EQ(request.generation.options.max_tokens, static_cast<uint32_t>(kMostTokens));
  EXPECT_FALSE(request.stream);
}

TEST(HttpOllamaRequest, FormatJsonOrSchema) {
  EXPECT_EQ(read_ollama_format(json::parse(R"({"format": "json"})")).kind,
            OutputFormat::Kind::json_object);
  auto schema = read_ollama_format(json::parse(R"({"format": {"type": "object"}})"));
  EXPECT_EQ(schema.kind, OutputFormat::Kind::json_schema);
  EXPECT_EQ(schema.schema, nlohmann::ordered_json::parse(R"({"type": "object"})"));
  EXPECT_EQ(read_ollama_format(json::object()).kind, OutputFormat::Kind::text);
  EXPECT_EQ(error_of([] { read_ollama_format(json::parse(R"({"format": "xml"})")); }).param,
            "format");
}

TEST(HttpOllamaRequest, GenerateFields) {
  auto request = parse_ollama_generate_request(json::parse(
      R"({"model": "m", "prompt": "p", "system": "s", "context": [1, 2], "stream": false})"));
  EXPECT_EQ(request.prompt, "p");
  ASSERT_EQ(request.generation.messages.size(), 1u);
  EXPECT_EQ(request.generation.messages[0].role, Role::system);
  EXPECT_EQ(request.context, (std::vector<int32_t>{1, 2}));
  auto raw = parse_ollama_generate_request(json::parse(R"({"prompt": "p", "raw": true})"));
  EXPECT_TRUE(raw.generation.raw_prompt);
  EXPECT_EQ(error_of([] {
              parse_ollama_generate_request(json::parse(R"({"prompt": "p", "images": ["x"]})"));
            }).param,
            "images");
  EXPECT_EQ(error_of([] {
              parse_ollama_generate_request(
                  json::parse(R"({"prompt": "p", "options": {"temperature": "hot"}})"));
            }).param,
            "options.temperature");
}

TEST(HttpOllamaRequest, EmbedInputs) {
  EXPECT_EQ(parse_ollama_embed_request(json::parse(R"({"input": ["a", "b"]})"), false).inputs,
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parse_ollama_embed_request(json::parse(R"({"prompt": "a"})"), true).inputs,
            (std::vector<std::string>{"a"}));
  EXPECT_EQ(error_of([] { parse_ollama_embed_request(json::object(), false); }).param, "input");
}

TEST(HttpOllamaResponse, DoneFieldsAreNanosecondsAndCounts) {
  DoneEvent done;
  done.usage = {11, 3, 0};
  done.timings.total = std::chrono::milliseconds(20);
  done.timings.prompt = std::chrono::microseconds(1500);
  done.timings.generation = std::chrono::milliseconds(12);
  json line;
  add_ollama_done_fields(line, done, "stop");
  EXPECT_EQ(line["done"], true);
  EXPECT_EQ(line["done_reason"], "stop");
  EXPECT_EQ(line["total_duration"], 20000000);
  EXPECT_EQ(line["prompt_eval_duration"], 1500000);
  EXPECT_EQ(line["eval_duration"], 12000000);
  EXPECT_EQ(line["prompt_eval_count"], 11);
  EXPECT_EQ(line["eval_count"], 3);
}

TEST(HttpOllamaResponse, MessagesToolCallsAndSizes) {
  chat::DecodedOutput output;
  output.text = "t";
  output.reasoning = "r";
  output.tool_calls.push_back({"f", nlohmann::ordered_json::parse(R"({"a":1})"), ""});
  auto message = ollama_message(output);
  EXPECT_EQ(message["thinking"], "r");
  EXPECT_EQ(message["tool_calls"][0],
            json::parse(R"({"function":{"name":"f","arguments":{"a":1}}})"));
  EXPECT_EQ(parameter_size_text(260000), "260.0K");
  EXPECT_EQ(parameter_size_text(7240000000ull), "7.2B");
  const auto stamp = rfc3339_nano_now();
  EXPECT_EQ(stamp.size(), 30u) << stamp;  // 2026-12-05T07:20:01.123456789Z
  EXPECT_EQ(stamp.back(), 'Z');
}

}  // namespace
}  // namespace weft::http
