#include "backend/ollama_protocol.hpp"

#include <gtest/gtest.h>

#include "weft/error.hpp"

namespace weft::backend::ollama {
namespace {

using nlohmann::json;

GenerationOptions every_option() {
  GenerationOptions options;
  options.max_tokens = 42;
  options.temperature = 0.25f;
  options.top_k = 7;
  options.top_p = 0.75f;
  options.min_p = 0.125f;
  options.seed = 1234;
  options.stop = {"</s>", "\n\n"};
  options.repeat_penalty = 1.5f;
  options.presence_penalty = 0.5f;
  options.frequency_penalty = -0.5f;
  return options;
}

TEST(OllamaProtocol, MapsEveryOptionToOllamasName) {
  GenerationOptions options = every_option();
  json mapped = options_json(options, 2048u);
  // Names from the Ollama API documentation's "options" table.
  EXPECT_EQ(mapped["num_predict"], options.max_tokens);
  EXPECT_EQ(mapped["temperature"], *options.temperature);
  EXPECT_EQ(mapped["top_k"], *options.top_k);
  EXPECT_EQ(mapped["top_p"], *options.top_p);
  EXPECT_EQ(mapped["min_p"], *options.min_p);
  EXPECT_EQ(mapped["seed"], *options.seed);
  EXPECT_EQ(mapped["stop"], options.stop);
  EXPECT_EQ(mapped["repeat_penalty"], *options.repeat_penalty);
  EXPECT_EQ(mapped["presence_penalty"], *options.presence_penalty);
  EXPECT_EQ(mapped["frequency_penalty"], *options.frequency_penalty);
  EXPECT_EQ(mapped["num_ctx"], 2048u);
  EXPECT_EQ(mapped.size(), 11u);
}

TEST(OllamaProtocol, LeavesUnsetOptionsToTheServer) {
  GenerationOptions options;
  json mapped = options_json(options, std::nullopt);
  EXPECT_EQ(mapped, (json{{"num_predict", options.max_tokens}}));
}

TEST(OllamaProtocol, ChatBodyCarriesModelMessagesAndStreaming) {
  GenerationRequest request;
  request.messages = {{Role::system, "be brief"}, {Role::user, "hi"}, {Role::assistant, "hello"}};
  json body = chat_body(request, "llama3.2:1b", std::nullopt);
  EXPECT_EQ(body["model"], "llama3.2:1b");
  EXPECT_EQ(body["stream"], true);
  ASSERT_EQ(body["messages"].size(), 3u);
  EXPECT_EQ(body["messages"][0], (json{{"role", "system"}, {"content", "be brief"}}));
  EXPECT_EQ(body["messages"][2], (json{{"role", "assistant"}, {"content", "hello"}}));
}

TEST(OllamaProtocol, RawPromptGoesThroughGenerateWithRawTrue) {
  GenerationRequest request;
  request.raw_prompt = true;
  request.messages = {{Role::user, "Once upon a time"}};
  json body = generate_body(request, "m", std::nullopt);
  EXPECT_EQ(body["prompt"], "Once upon a time");
  EXPECT_EQ(body["raw"], true);
  EXPECT_EQ(body["stream"], true);
}

TEST(OllamaProtocol, ParsesAContentLine) {
  auto chunk = parse_stream_line(
      R"({"model":"m","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"Hel"},"done":false})");
  EXPECT_EQ(chunk.text, "Hel");
  EXPECT_FALSE(chunk.done);
  EXPECT_FALSE(chunk.error);
}

TEST(OllamaProtocol, ParsesTheFinalLineIntoUsageAndTimings) {
  auto chunk = parse_stream_line(
      R"({"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"length",)"
      R"("total_duration":5000000000,"load_duration":1000000,"prompt_eval_count":26,)"
      R"("prompt_eval_duration":130000000,"eval_count":290,"eval_duration":4000000000})");
  EXPECT_TRUE(chunk.done);
  EXPECT_EQ(chunk.reason, StopReason::length);
  EXPECT_EQ(chunk.usage.prompt_tokens, 26u);
  EXPECT_EQ(chunk.usage.completion_tokens, 290u);
  EXPECT_EQ(chunk.timings.total, std::chrono::nanoseconds(5000000000));
  EXPECT_EQ(chunk.timings.load, std::chrono::nanoseconds(1000000));
  EXPECT_EQ(chunk.timings.prompt, std::chrono::nanoseconds(130000000));
  EXPECT_EQ(chunk.timings.generation, std::chrono::nanoseconds(4000000000));
}

TEST(OllamaProtocol, GenerateLinesCarryTextInResponse) {
  auto chunk = parse_stream_line(R"({"model":"m","response":" upon","done":false})");
  EXPECT_EQ(chunk.text, " upon");
}

TEST(OllamaProtocol, MapsDoneReasons) {
  EXPECT_EQ(stop_reason("stop"), StopReason::end);
  EXPECT_EQ(stop_reason("length"), StopReason::length);
  EXPECT_EQ(stop_reason("load"), StopReason::end);
  EXPECT_EQ(stop_reason(""), StopReason::end);
}

TEST(OllamaProtocol, AnErrorLineIsAnError) {
  auto chunk = parse_stream_line(R"({"error":"an error was encountered while running the model"})");
  ASSERT_TRUE(chunk.error);
  EXPECT_EQ(*chunk.error, "an error was encountered while running the model");
}

TEST(OllamaProtocol, RejectsLinesThatAreNotChunks) {
  EXPECT_THROW(parse_stream_line("{\"message\":"), Error);
  EXPECT_THROW(parse_stream_line("[1,2]"), Error);
  EXPECT_THROW(parse_stream_line(R"({"message":{"content":"x"}})"), Error);  // no "done"
  // A number too large for a double is the JSON library's out_of_range, not a parse error.
  EXPECT_THROW(parse_stream_line("1E400"), Error);
}

TEST(OllamaProtocol, ErrorMessageComesFromTheErrorField) {
  EXPECT_EQ(error_message(R"({"error":"model \"x\" not found, try pulling it first"})"),
            "model \"x\" not found, try pulling it first");
  EXPECT_EQ(error_message("  502 Bad Gateway\n"), "502 Bad Gateway");
  EXPECT_EQ(error_message(""), "(empty body)");
  EXPECT_EQ(error_message("1E400"), "1E400");
}

TEST(OllamaProtocol, ParsesTagsAndShow) {
  EXPECT_EQ(
      parse_tags(
          R"({"models":[{"name":"llama3.2:1b","model":"llama3.2:1b","size":1},{"name":"qwen2:0.5b"}]})"),
      (std::vector<std::string>{"llama3.2:1b", "qwen2:0.5b"}));
  EXPECT_THROW(parse_tags(R"({"tags":[]})"), Error);

  auto info = parse_show("qwen2:0.5b", R"({"template":"{{ .Prompt }}",
      "details":{"family":"qwen2","parameter_size":"494.03M","quantization_level":"Q4_0"},
      "model_info":{"general.architecture":"qwen2","general.parameter_count":494032768,
                    "qwen2.context_length":32768,"qwen2.vocab_size":151936}})");
  EXPECT_EQ(info.name, "qwen2:0.5b");
  EXPECT_EQ(info.architecture, "qwen2");
  EXPECT_EQ(info.quantization, "Q4_0");
  EXPECT_EQ(info.parameter_count, 494032768u);
  EXPECT_EQ(info.context_length, 32768u);
  EXPECT_EQ(info.vocabulary_size, 151936u);
  EXPECT_TRUE(info.has_chat_template);
  EXPECT_THROW(parse_show("m", "not json"), Error);
}

}  // namespace
}  // namespace weft::backend::ollama
