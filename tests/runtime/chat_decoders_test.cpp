// The public chat decoders and token helpers (include/weft/chat_decoders.hpp) on the real
// stories260K tokenizer with real models' chat templates: text fed token by token comes out
// whole, reasoning and tool calls are split out as the template's format writes them.
#include "weft/chat_decoders.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "support/shared_files.hpp"

namespace weft {
namespace {

std::shared_ptr<ContextRuntime> open_with_template(const std::string& template_file) {
  return ContextRuntime::open(
      {.model_path = test::shared_path("models/stories260K/stories260K-f32.gguf").string(),
       .threads = 1,
       .kv_pages = 8,
       .chat_template_path =
           template_file.empty()
               ? std::string()
               : test::shared_path("models/chat-templates/" + template_file).string()});
}

class ChatDecoders : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    qwen_ = open_with_template("Qwen-Qwen2.5-7B-Instruct.jinja");
    llama3_ = open_with_template("meta-llama-Llama-3.1-8B-Instruct.jinja");
  }
  static void TearDownTestSuite() {
    qwen_.reset();
    llama3_.reset();
  }
  static std::shared_ptr<ContextRuntime> qwen_;
  static std::shared_ptr<ContextRuntime> llama3_;
};

std::shared_ptr<ContextRuntime> ChatDecoders::qwen_;
std::shared_ptr<ContextRuntime> ChatDecoders::llama3_;

TEST_F(ChatDecoders, ChatTextFedTokenByTokenComesOutWholeAndAStopTokenEndsTheTurn) {
  const std::string text = "Tom saw a big dog. It said h\xC3\xA9llo \xF0\x9F\x98\x80 and ran.";
  const auto tokens = qwen_->encode(text);
  ChatDecoder decoder(*qwen_);
  std::string streamed;
  bool held_a_split_character = false;
  for (int32_t token : tokens) {
    const auto event = decoder.feed({&token, 1});
    if (event.kind == ChatEvent::Kind::delta) {
      streamed += event.text;
    } else {
      ASSERT_EQ(event.kind, ChatEvent::Kind::idle);
      held_a_split_character = true;  // the emoji's first byte tokens
    }
  }
  EXPECT_TRUE(held_a_split_character) << "the emoji should arrive as byte tokens";
  // stories260K's SentencePiece vocabulary starts a text with a space (its dummy prefix), which
  // a continuation keeps; the rest is the text, byte for byte.
  EXPECT_EQ(streamed, " " + text);
  const int32_t stop = qwen_->stop_tokens().front();
  const auto done = decoder.feed({&stop, 1});
  EXPECT_EQ(done.kind, ChatEvent::Kind::done);
  EXPECT_EQ(done.text, streamed);
  decoder.reset();
  EXPECT_EQ(decoder.text(), "");
}

TEST_F(ChatDecoders, AControlTokenIsAnInterruptAndStaysOutOfTheText) {
  const auto special = qwen_->special_tokens();
  const auto stops = qwen_->stop_tokens();
  const auto control = std::ranges::find_if(
      special, [&](int32_t id) { return !std::ranges::binary_search(stops, id); });
  ASSERT_NE(control, special.end());
  ChatDecoder decoder(*qwen_);
  auto tokens = qwen_->encode("The end");
  tokens.push_back(*control);
  const auto event = decoder.feed(tokens);
  EXPECT_EQ(event.kind, ChatEvent::Kind::interrupt);
  EXPECT_EQ(event.token, *control);
  EXPECT_EQ(decoder.text(), " The end");
}

TEST_F(ChatDecoders, ReasoningIsSplitOutOfTheAnswer) {
  const auto tokens = qwen_->encode("<think>The dog is big, so it runs.</think>It runs.");
  ReasoningDecoder decoder(*qwen_);
  std::vector<ReasoningEvent::Kind> kinds;
  std::string streamed;
  std::string ended;
  for (int32_t token : tokens) {
    const auto event = decoder.feed({&token, 1});
    if (event.kind == ReasoningEvent::Kind::idle) continue;
    if (kinds.empty() || kinds.back() != event.kind) kinds.push_back(event.kind);
    if (event.kind == ReasoningEvent::Kind::end) {
      ended = event.text;
    } else {
      streamed += event.text;
    }
  }
  EXPECT_EQ(kinds, (std::vector<ReasoningEvent::Kind>{ReasoningEvent::Kind::start,
                                                      ReasoningEvent::Kind::delta,
                                                      ReasoningEvent::Kind::end}));
  EXPECT_EQ(ended, "The dog is big, so it runs.");
  EXPECT_TRUE(ended.starts_with(streamed)) << streamed;
}

TEST_F(ChatDecoders, AHermesToolCallOfTheQwenTemplateIsDecoded) {
  const auto tokens = qwen_->encode(
      "Let me look.\n<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": "
      "\"Paris\"}}\n</tool_call>");
  ToolCallDecoder decoder(*qwen_);
  bool started = false;
  std::vector<ToolCallEvent::Call> calls;
  for (int32_t token : tokens) {
    const auto event = decoder.feed({&token, 1});
    if (event.kind == ToolCallEvent::Kind::start) started = true;
    if (event.kind == ToolCallEvent::Kind::calls) {
      EXPECT_TRUE(started) << "a call completes after it started";
      calls.insert(calls.end(), event.calls.begin(), event.calls.end());
    }
  }
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].name, "weather");
  EXPECT_EQ(nlohmann::json::parse(calls[0].arguments), nlohmann::json({{"city", "Paris"}}));
}

TEST_F(ChatDecoders, ALlama3ToolCallOfTheLlamaTemplateIsDecoded) {
  const auto tokens =
      llama3_->encode("{\"name\": \"weather\", \"parameters\": {\"city\": \"Oslo\"}}");
  ToolCallDecoder decoder(*llama3_);
  std::vector<ToolCallEvent::Call> calls;
  for (int32_t token : tokens) {
    const auto event = decoder.feed({&token, 1});
    calls.insert(calls.end(), event.calls.begin(), event.calls.end());
  }
  // The Llama 3 format ends a call with the JSON: complete once the last brace is fed.
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].name, "weather");
  EXPECT_EQ(nlohmann::json::parse(calls[0].arguments), nlohmann::json({{"city", "Oslo"}}));
}

TEST_F(ChatDecoders, TokenHelpersAreTheTemplatesPieces) {
  // The Qwen 2.5 template writes "<|im_start|>ROLE\nCONTENT<|im_end|>\n" per message and
  // cues with "<|im_start|>assistant\n" (read from the template file, not from weft).
  const auto system = qwen_->decode(chat_message_tokens(*qwen_, {Role::system, "Be brief."}));
  EXPECT_NE(system.find("<|im_start|>system\nBe brief.<|im_end|>"), std::string::npos) << system;
  const auto cue = qwen_->decode(chat_cue_tokens(*qwen_));
  EXPECT_NE(cue.find("assistant\n"), std::string::npos) << cue;
  EXPECT_EQ(cue.find("<|im_end|>"), std::string::npos) << cue;
  const auto seal = qwen_->decode(chat_seal_tokens(*qwen_));
  EXPECT_NE(seal.find("<|im_end|>"), std::string::npos) << seal;
  EXPECT_EQ(seal.find("ok"), std::string::npos) << seal;
}

}  // namespace
}  // namespace weft
