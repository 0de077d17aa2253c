// The output decoders against the reference renderings: an assistant turn that a template
// rendered from a known tool call must decode back to that tool call, however the text is
// split into chunks.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "chat/output_decoder.hpp"
#include "support/chat_template_cases.hpp"

namespace weft::chat {
// Readable failure messages.
void PrintTo(const DecodedOutput& out, std::ostream* os) {
  *os << "{text: \"" << out.text << "\", reasoning: \"" << out.reasoning << "\", calls:";
  for (const auto& call : out.tool_calls)
    *os << " " << call.name << call.arguments.dump() << "#" << call.id;
  *os << "}";
}
}  // namespace weft::chat

namespace {

using nlohmann::ordered_json;
using weft::chat::DecodedOutput;
using weft::chat::DecoderConfig;
using weft::chat::OutputDecoder;
using weft::chat::ToolCallFormat;

DecodedOutput decode_whole(const DecoderConfig& config, const std::string& text) {
  OutputDecoder decoder(config);
  DecodedOutput out = decoder.feed(text);
  out.append(decoder.finish());
  return out;
}

DecodedOutput decode_split(const DecoderConfig& config, const std::string& text, size_t split) {
  OutputDecoder decoder(config);
  DecodedOutput out = decoder.feed(text.substr(0, split));
  out.append(decoder.feed(text.substr(split)));
  out.append(decoder.finish());
  return out;
}

DecodedOutput decode_bytewise(const DecoderConfig& config, const std::string& text) {
  OutputDecoder decoder(config);
  DecodedOutput out;
  for (char c : text) out.append(decoder.feed(std::string(1, c)));
  out.append(decoder.finish());
  return out;
}

// Whole, split at every byte boundary, and one byte at a time must all agree.
DecodedOutput decode_every_way(const DecoderConfig& config, const std::string& text) {
  DecodedOutput whole = decode_whole(config, text);
  for (size_t split = 0; split <= text.size(); ++split) {
    EXPECT_EQ(decode_split(config, text, split), whole)
        << "split at byte " << split << " of: " << text;
  }
  EXPECT_EQ(decode_bytewise(config, text), whole) << text;
  return whole;
}

std::string between(const std::string& text, const std::string& begin, const std::string& end) {
  size_t start = text.find(begin);
  if (start == std::string::npos) throw std::runtime_error("no '" + begin + "' in the rendering");
  start += begin.size();
  size_t stop = text.find(end, start);
  return text.substr(start, stop - start);
}

ordered_json arguments_of(const ordered_json& call) {
  const auto& arguments = call.at("function").at("arguments");
  return arguments.is_string() ? ordered_json::parse(arguments.get<std::string>()) : arguments;
}

struct ReferenceTurn {
  const char* template_name;
  const char* case_name;
  ToolCallFormat format;
  const char* turn_begin;  // where the rendered assistant tool-call turn starts and ends
  const char* turn_end;
};

TEST(OutputDecoder, DecodesToolCallsRenderedByTheReferenceTemplates) {
  const ReferenceTurn turns[] = {
      {"NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use", "tools_call_and_result",
       ToolCallFormat::hermes, "<|im_start|>assistant", "<|im_end|>"},
      {"NousResearch-Hermes-3-Llama-3.1-8B-tool_use", "tools_call_string_args",
       ToolCallFormat::hermes, "<|im_start|>assistant", "<|im_end|>"},
      {"Qwen-Qwen2.5-7B-Instruct", "tools_call_and_result", ToolCallFormat::hermes,
       "<|im_start|>assistant", "<|im_end|>"},
      {"meta-llama-Llama-3.1-8B-Instruct", "tools_call_and_result", ToolCallFormat::llama3,
       "<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>"},
      {"meta-llama-Llama-3.2-3B-Instruct", "tools_call_and_result", ToolCallFormat::llama3,
       "<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>"},
      {"mistralai-Mistral-Nemo-Instruct-2407", "tools_call_string_args", ToolCallFormat::mistral,
       "[/INST]", "</s>"},
  };
  for (const auto& turn : turns) {
    SCOPED_TRACE(turn.template_name);
    auto reference = weft::test::chat_template_case(turn.template_name, turn.case_name);
    std::string output =
        between(reference.at("expected").get<std::string>(), turn.turn_begin, turn.turn_end);
    ordered_json expected_call;
    for (const auto& message : reference.at("messages")) {
      if (message.contains("tool_calls")) expected_call = message.at("tool_calls").at(0);
    }
    DecoderConfig config;
    config.tool_calls = turn.format;
    DecodedOutput decoded = decode_every_way(config, output);
    ASSERT_EQ(decoded.tool_calls.size(), 1u) << output;
    EXPECT_EQ(decoded.tool_calls[0].name,
              expected_call.at("function").at("name").get<std::string>());
    auto arguments = decoded.tool_calls[0].arguments;
    if (arguments.is_string()) arguments = ordered_json::parse(arguments.get<std::string>());
    EXPECT_EQ(arguments, arguments_of(expected_call));
    if (turn.format == ToolCallFormat::mistral) {
      EXPECT_EQ(decoded.tool_calls[0].id, expected_call.at("id"));
    }
    // Nothing but spacing is left over as visible text.
    EXPECT_EQ(decoded.text.find_first_not_of(" \n"), std::string::npos) << decoded.text;
  }
}

TEST(OutputDecoder, SplitsReasoningFromTheAnswer) {
  DecoderConfig config;
  auto decoded = decode_every_way(config, "<think>The user greets me.</think>Hello! <b>Hi</b>");
  EXPECT_EQ(decoded.reasoning, "The user greets me.");
  EXPECT_EQ(decoded.text, "Hello! <b>Hi</b>");

  config.starts_in_reasoning = true;  // the prompt already opened <think>
  decoded = decode_every_way(config, "plan\n</think>\n\nAnswer");
  EXPECT_EQ(decoded.reasoning, "plan\n");
  EXPECT_EQ(decoded.text, "\n\nAnswer");
}

TEST(OutputDecoder, ReasoningMarkersAreConfigurable) {
  // Command R7B's markers, as its reference template writes them.
  DecoderConfig config;
  config.reasoning = {{"<|START_THINKING|>", "<|END_THINKING|>"}};
  auto decoded = decode_every_way(
      config, "<|START_THINKING|>look it up<|END_THINKING|>It is 18 C.<think>no</think>");
  EXPECT_EQ(decoded.reasoning, "look it up");
  EXPECT_EQ(decoded.text, "It is 18 C.<think>no</think>");
}

TEST(OutputDecoder, HoldsBackOnlyAPossibleMarkerPrefix) {
  DecoderConfig config;
  config.tool_calls = ToolCallFormat::hermes;
  OutputDecoder decoder(config);
  EXPECT_EQ(decoder.feed("Hello <").text, "Hello ");  // "<" may begin <think> or <tool_call>
  EXPECT_EQ(decoder.feed("tool").text, "");           // "<tool" still may
  EXPECT_EQ(decoder.feed("s>").text, "<tools>");      // no marker starts "<tools>"
  EXPECT_EQ(decoder.feed(" and more").text, " and more");
  EXPECT_EQ(decoder.finish(), DecodedOutput{});
}

TEST(OutputDecoder, TextThatIsNotAToolCallIsKept) {
  DecoderConfig config;
  config.tool_calls = ToolCallFormat::hermes;
  EXPECT_EQ(decode_every_way(config, "a <tool_call>not json</tool_call> b").text,
            "a <tool_call>not json</tool_call> b");
  EXPECT_EQ(decode_every_way(config, "cut off <tool_call>{\"name\": \"f\"").text,
            "cut off <tool_call>{\"name\": \"f\"");

  config.tool_calls = ToolCallFormat::llama3;
  EXPECT_EQ(decode_every_way(config, "{curly} prose").text, "{curly} prose");
  EXPECT_EQ(decode_every_way(config, "Plain answer with {\"name\": \"x\"}").text,
            "Plain answer with {\"name\": \"x\"}");

  // A marker that no JSON follows is text, and what comes after it is decoded as usual.
  config.tool_calls = ToolCallFormat::mistral;
  DecodedOutput out = decode_every_way(config, "a [TOOL_CALLS] b <think>why</think>c");
  EXPECT_EQ(out.text, "a [TOOL_CALLS] b c");
  EXPECT_EQ(out.reasoning, "why");
}

TEST(OutputDecoder, SeveralCallsInOneAnswer) {
  DecoderConfig config;
  config.tool_calls = ToolCallFormat::hermes;
  auto decoded = decode_every_way(config,
                                  "<tool_call>\n{\"name\": \"a\", \"arguments\": "
                                  "{}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", "
                                  "\"arguments\": {\"x\": \"}\"}}\n</tool_call>");
  ASSERT_EQ(decoded.tool_calls.size(), 2u);
  EXPECT_EQ(decoded.tool_calls[1].name, "b");
  EXPECT_EQ(decoded.tool_calls[1].arguments["x"], "}");

  config.tool_calls = ToolCallFormat::llama3;
  decoded = decode_every_way(
      config,
      "<|python_tag|>{\"name\": \"a\", \"parameters\": {\"q\": 1}}; {\"name\": \"b\", "
      "\"parameters\": {}}");
  ASSERT_EQ(decoded.tool_calls.size(), 2u);
  EXPECT_EQ(decoded.tool_calls[0].arguments["q"], 1);

  config.tool_calls = ToolCallFormat::mistral;
  decoded =
      decode_every_way(config,
                       "[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {}, \"id\": \"abcDEF123\"}, "
                       "{\"name\": \"b\", \"arguments\": {\"s\": \"[x]\"}}]");
  ASSERT_EQ(decoded.tool_calls.size(), 2u);
  EXPECT_EQ(decoded.tool_calls[0].id, "abcDEF123");
}

TEST(OutputDecoder, ConfigFollowsTheTemplate) {
  auto read = [](const std::string& name) {
    std::ifstream in(std::string(WEFT_SHARED_DIR) + "/models/chat-templates/" + name + ".jinja");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  };
  using weft::chat::decoder_config_for_template;
  EXPECT_EQ(decoder_config_for_template(read("Qwen-Qwen2.5-7B-Instruct")).tool_calls,
            ToolCallFormat::hermes);
  EXPECT_EQ(decoder_config_for_template(read("meta-llama-Llama-3.1-8B-Instruct")).tool_calls,
            ToolCallFormat::llama3);
  EXPECT_EQ(decoder_config_for_template(read("mistralai-Mistral-Nemo-Instruct-2407")).tool_calls,
            ToolCallFormat::mistral);
  EXPECT_TRUE(decoder_config_for_template(read("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B"))
                  .starts_in_reasoning);
  EXPECT_FALSE(
      decoder_config_for_template(read("HuggingFaceTB-SmolLM2-135M-Instruct")).starts_in_reasoning);
}

}  // namespace
