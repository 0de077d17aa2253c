// gpt-oss's chat template (OpenAI's "harmony" format: <|start|>role<|channel|>…<|message|>…
// <|end|>, a generated system message, instructions as a developer message, tools rendered
// as a TypeScript namespace, thinking in the analysis channel) through weft's Jinja renderer,
// against what Python's Jinja2 rendered for the same conversations
// (tests/chat/data/gpt-oss/: the template as llama.cpp ships it, make_harmony_cases.py and
// its output harmony_cases.json): ten conversations (tools as TypeScript with defaults and
// nested types, thinking, tool calls and results, builtin tools, reasoning effort) byte for
// byte, and the template's three raise_exception errors and an undefined attribute with
// Jinja2's messages.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "chat/chat_template.hpp"
#include "chat/jinja/error.hpp"
#include "support/chat_template_cases.hpp"
#include "support/shared_files.hpp"

namespace {

using nlohmann::ordered_json;

std::string harmony_data(const std::string& file) {
  return weft::test::read_text_file(std::string(WEFT_SOURCE_DIR) + "/tests/chat/data/gpt-oss/" +
                                    file);
}

constexpr size_t kHarmonyCaseCount = 14;

TEST(HarmonyTemplate, RendersEveryCaseAsJinja2Does) {
  const weft::chat::ChatTemplate chat_template(harmony_data("openai-gpt-oss-120b.jinja"));
  const auto cases = ordered_json::parse(harmony_data("harmony_cases.json"));
  ASSERT_EQ(cases.size(), kHarmonyCaseCount);
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.at("case").get<std::string>());
    weft::chat::ChatRenderInput input;
    input.messages = test_case.at("messages");
    if (test_case.contains("tools")) input.tools = test_case.at("tools");
    if (test_case.contains("extra_context")) input.extra_context = test_case.at("extra_context");
    input.add_generation_prompt = test_case.at("add_generation_prompt").get<bool>();
    input.bos_token = test_case.at("bos_token").get<std::string>();
    input.eos_token = test_case.at("eos_token").get<std::string>();
    input.now = weft::test::chat_template_reference_time();
    if (test_case.contains("error")) {
      // The template's raise_exception messages, and Jinja2's for an undefined attribute
      // (weft's message may add the position before it).
      const auto expected_error = test_case.at("error").get<std::string>();
      try {
        ADD_FAILURE() << "expected the error \"" << expected_error << "\", rendered:\n"
                      << chat_template.render(input);
      } catch (const weft::chat::jinja::TemplateError& error) {
        EXPECT_TRUE(std::string_view(error.what()).ends_with(expected_error)) << error.what();
      }
      continue;
    }
    try {
      EXPECT_EQ(chat_template.render(input), test_case.at("expected").get<std::string>());
    } catch (const std::exception& error) {
      ADD_FAILURE() << "render failed: " << error.what();
    }
  }
}

}  // namespace
