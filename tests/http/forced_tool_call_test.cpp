// tool_choice required / named → a grammar of exactly the tool calls the model's syntax
// spells. The texts below are written from each format's published shape (Hermes/Qwen
// <tool_call> blocks, Llama 3's bare JSON object, Mistral's [TOOL_CALLS] array).
#include "http/forced_tool_call.hpp"

#include <gtest/gtest.h>

#include "grammar/grammar.hpp"
#include "http/api_error.hpp"

namespace weft::http {
namespace {

using nlohmann::ordered_json;

const ordered_json kTools = ordered_json::parse(R"([
  {"type": "function", "function": {"name": "get_weather", "parameters": {
     "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
     "additionalProperties": false}}},
  {"type": "function", "function": {"name": "get_time"}}
])");

bool accepts(const std::string& gbnf, const std::string& text) {
  return grammar::matches(*grammar::parse_gbnf(gbnf, grammar::kGenerationLimits), text);
}

ToolChoice required() {
  return {ToolChoice::Kind::required, ""};
}

TEST(HttpForcedToolCall, HermesCallsOfAnyOfferedToolWithValidArguments) {
  auto gbnf = forced_tool_call_grammar(kTools, required(), chat::ToolCallFormat::hermes);
  EXPECT_TRUE(
      accepts(gbnf,
              "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
              "</tool_call>"));
  EXPECT_TRUE(accepts(gbnf, "<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>"));
  // Not a call, an unknown tool, arguments the schema refuses, a second call.
  EXPECT_FALSE(accepts(gbnf, "It is sunny in Paris."));
  EXPECT_FALSE(accepts(gbnf,
                       "<tool_call>\n{\"name\": \"delete_all\", \"arguments\": {}}\n"
                       "</tool_call>"));
  EXPECT_FALSE(accepts(gbnf,
                       "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n"
                       "</tool_call>"));
  EXPECT_FALSE(accepts(gbnf,
                       "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
                       "{\"city\": 3}}\n</tool_call>"));
  EXPECT_FALSE(accepts(gbnf,
                       "<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>"
                       "<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>"));
}

TEST(HttpForcedToolCall, ANamedChoiceAllowsOnlyThatTool) {
  auto gbnf = forced_tool_call_grammar(kTools, {ToolChoice::Kind::named, "get_time"},
                                       chat::ToolCallFormat::hermes);
  EXPECT_TRUE(accepts(gbnf, "<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>"));
  EXPECT_FALSE(
      accepts(gbnf,
              "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
              "</tool_call>"));
  EXPECT_THROW(forced_tool_call_grammar(kTools, {ToolChoice::Kind::named, "nope"},
                                        chat::ToolCallFormat::hermes),
               ApiException);
}

TEST(HttpForcedToolCall, Llama3IsTheBareObjectWithParameters) {
  auto gbnf = forced_tool_call_grammar(kTools, required(), chat::ToolCallFormat::llama3);
  EXPECT_TRUE(accepts(gbnf, R"({"name": "get_weather", "parameters": {"city": "Oslo"}})"));
  EXPECT_FALSE(accepts(gbnf, R"({"name": "get_weather", "arguments": {"city": "Oslo"}})"));
}

TEST(HttpForcedToolCall, MistralIsOneCallInTheToolCallsArray) {
  auto gbnf = forced_tool_call_grammar(kTools, required(), chat::ToolCallFormat::mistral);
  EXPECT_TRUE(accepts(gbnf, R"([TOOL_CALLS][{"name": "get_time", "arguments": {}}])"));
  EXPECT_FALSE(accepts(gbnf, R"([{"name": "get_time", "arguments": {}}])"));
}

TEST(HttpForcedToolCall, RefusedWhereItCannotBeEnforced) {
  EXPECT_THROW(forced_tool_call_grammar(kTools, required(), chat::ToolCallFormat::none),
               ApiException);
  auto unsupported = ordered_json::parse(R"([{"type": "function", "function": {"name": "f",
      "parameters": {"type": "object", "if": {}}}}])");
  EXPECT_THROW(forced_tool_call_grammar(unsupported, required(), chat::ToolCallFormat::hermes),
               ApiException);
}

// tool_choice "auto" with strict tools: the grammar applies from the call's opening marker.
const ordered_json kStrictTools = ordered_json::parse(R"([
  {"type": "function", "function": {"name": "get_weather", "strict": true, "parameters": {
     "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
     "additionalProperties": false}}},
  {"type": "function", "function": {"name": "note", "parameters": {
     "type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}}
])");

TEST(HttpStrictToolCall, OnlyWhenSomeToolIsStrict) {
  EXPECT_FALSE(strict_tool_call_grammar(kTools, chat::ToolCallFormat::hermes));
  auto not_a_bool =
      ordered_json::parse(R"([{"type": "function", "function": {"name": "f", "strict": "yes"}}])");
  EXPECT_FALSE(strict_tool_call_grammar(not_a_bool, chat::ToolCallFormat::hermes));
  // No tool-call syntax: no call can be recognised, so none is held to a schema.
  EXPECT_FALSE(strict_tool_call_grammar(kStrictTools, chat::ToolCallFormat::none));
}

TEST(HttpStrictToolCall, HermesCallsFromTheMarkerOnStrictArgumentsChecked) {
  auto strict = strict_tool_call_grammar(kStrictTools, chat::ToolCallFormat::hermes);
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->trigger, "<tool_call>");
  EXPECT_TRUE(accepts(strict->gbnf,
                      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
                      "\"Paris\"}}\n</tool_call>"));
  // The strict tool's schema holds; the other tool takes any object.
  EXPECT_FALSE(accepts(strict->gbnf,
                       "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"town\": "
                       "\"Paris\"}}\n</tool_call>"));
  EXPECT_TRUE(accepts(strict->gbnf,
                      "<tool_call>\n{\"name\": \"note\", \"arguments\": {\"any\": [1, 2]}}\n"
                      "</tool_call>"));
  EXPECT_FALSE(
      accepts(strict->gbnf, "<tool_call>\n{\"name\": \"other\", \"arguments\": {}}\n</tool_call>"));
}

TEST(HttpStrictToolCall, EachFormatsGrammarStartsWithItsTrigger) {
  for (auto format : {chat::ToolCallFormat::hermes, chat::ToolCallFormat::llama3,
                      chat::ToolCallFormat::mistral}) {
    auto strict = strict_tool_call_grammar(kStrictTools, format);
    ASSERT_TRUE(strict);
    const std::string call = R"({"name": "get_weather", "ARGS": {"city": "Oslo"}})";
    std::string text;
    switch (format) {
      case chat::ToolCallFormat::hermes:
        text = "<tool_call>\n" + call + "\n</tool_call>";
        break;
      case chat::ToolCallFormat::llama3:
        text = call;
        break;
      default:
        text = "[TOOL_CALLS][" + call + "]";
    }
    const auto key = text.find("ARGS");
    text.replace(key, 4, format == chat::ToolCallFormat::llama3 ? "parameters" : "arguments");
    EXPECT_EQ(text.rfind(strict->trigger, 0), 0u) << text;
    EXPECT_TRUE(accepts(strict->gbnf, text)) << text;
  }
}

}  // namespace
}  // namespace weft::http
