// Text and chat turns appended to a context: the tokens are those of the model's tokenizer
// applied to the text (or to the conversation as the template renders it), checked against
// the tokenizer on its own and the expected renderings in ../shared/models/chat-templates.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "support/pool_accounting.hpp"
#include "support/shared_files.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/context.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

const std::string kSmolLm2Template =
    "models/chat-templates/HuggingFaceTB-SmolLM2-135M-Instruct.jinja";

ContextRuntimeOptions stories_options(std::string chat_template_path = "") {
  return {.model_path = test::shared_path("models/stories260K/stories260K-f32.gguf").string(),
          .context_length = 512,
          .threads = 2,
          .kv_pages = 64,
          .reference_kernels = true,
          .chat_template_path = std::move(chat_template_path)};
}

// One case of the template's expected renderings.
nlohmann::json expected_case(const std::string& name) {
  std::ifstream in(test::shared_path(
      "models/chat-templates/expected/HuggingFaceTB-SmolLM2-135M-Instruct.expected.json"));
  const auto cases = nlohmann::json::parse(in);
  for (const auto& item : cases) {
    if (item["case"] == name) return item;
  }
  ADD_FAILURE() << "no case " << name;
  return {};
}

std::vector<Message> messages_of(const nlohmann::json& item) {
  std::vector<Message> messages;
  for (const auto& message : item["messages"]) {
    messages.push_back(
        {*parse_role(message["role"].get<std::string>()), message["content"].get<std::string>()});
  }
  return messages;
}

class ContextText : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = gguf::GgufFile::open(stories_options().model_path);
    tokenizer_ = tokenizer::Tokenizer::from_gguf(*file_);
  }

  std::vector<int32_t> encode(const std::string& text, bool at_start, bool parse_special) const {
    return tokenizer_->encode(text, {.add_bos = at_start && tokenizer_->add_bos_by_default(),
                                     .parse_special = parse_special});
  }

  std::shared_ptr<const gguf::GgufFile> file_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
};

TEST_F(ContextText, AppendTextTokenisesWithTheModelsTokenizer) {
  auto runtime = ContextRuntime::open(stories_options());
  {
    auto context = runtime->create();
    context.append_text("Once upon a time");
    auto expected = encode("Once upon a time", true, false);
    ASSERT_TRUE(tokenizer_->add_bos_by_default());
    EXPECT_EQ(expected.front(), *tokenizer_->bos());
    EXPECT_EQ(context.tokens(), expected);

    context.append_text(" there was a cat");  // not at the start: no BOS
    const auto more = encode(" there was a cat", false, false);
    expected.insert(expected.end(), more.begin(), more.end());
    EXPECT_EQ(context.tokens(), expected);

    // The text of a control token stays text unless asked for.
    const auto before = context.length();
    context.append_text("</s>");
    EXPECT_EQ(std::vector<int32_t>(context.tokens().begin() + before, context.tokens().end()),
              encode("</s>", false, false));
    EXPECT_NE(context.tokens().back(), *tokenizer_->eos());
    context.append_text("</s>", true);
    EXPECT_EQ(context.tokens().back(), *tokenizer_->eos());

    // The logits are those of the same ids appended directly.
    auto direct = runtime->create();
    direct.append(context.tokens());
    EXPECT_TRUE(std::ranges::equal(direct.logits(), context.logits()));
  }
  runtime->clear_prefix_cache();
  test::expect_pool_idle(*runtime);
}

TEST_F(ContextText, TurnsAppendTheTemplatesRenderingOfTheConversation) {
  auto runtime =
      ContextRuntime::open(stories_options(test::shared_path(kSmolLm2Template).string()));
  {
    const auto item = expected_case("multi_turn_gen");
    const auto messages = messages_of(item);
    ASSERT_EQ(messages.size(), 3u);
    auto context = runtime->create();
    context.append_turn(messages[0]);
    context.append_turn(messages[1]);
    auto branch = context.fork();  // keeps the conversation
    context.append_turn(messages[2], true);
    EXPECT_EQ(context.tokens(), encode(item["expected"].get<std::string>(), true, true));
    EXPECT_EQ(context.messages().size(), 3u);

    // The same with the generation prompt asked for separately, on the fork.
    EXPECT_EQ(branch.messages().size(), 2u);
    branch.append_turn(messages[2]);
    branch.append_generation_prompt();
    EXPECT_EQ(branch.tokens(), context.tokens());

    // After the generation prompt, another user turn does not extend the rendering.
    const auto held = context.tokens();
    try {
      context.append_turn({Role::user, "And a third?"});
      ADD_FAILURE() << "a rendering that rewrites the context was appended";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("does not extend"), std::string::npos)
          << error.what();
    }
    EXPECT_EQ(context.tokens(), held);
    EXPECT_EQ(context.messages().size(), 3u);

    // A snapshot keeps the conversation: the reopened context carries on with the answer.
    branch.save("chat");
    auto reopened = runtime->open_snapshot("chat");
    EXPECT_EQ(reopened.messages().size(), 3u);
    reopened.append_turn({Role::assistant, "Red."});
    // ChatML, as the template writes it.
    const auto answered = item["expected"].get<std::string>() + "Red.<|im_end|>\n";
    EXPECT_EQ(reopened.tokens(), encode(answered, true, true));
    runtime->remove_snapshot("chat");
  }
  runtime->clear_prefix_cache();
  test::expect_pool_idle(*runtime);
}

TEST_F(ContextText, TheExpectedRenderingsOfWholeConversationsAreAppendedTurnByTurn) {
  auto runtime =
      ContextRuntime::open(stories_options(test::shared_path(kSmolLm2Template).string()));
  for (const std::string name : {"system_user_gen", "user_only_gen", "multi_turn_no_gen"}) {
    const auto item = expected_case(name);
    const auto messages = messages_of(item);
    const bool generation_prompt = item["add_generation_prompt"].get<bool>();
    auto context = runtime->create();
    for (size_t i = 0; i < messages.size(); ++i) {
      context.append_turn(messages[i], generation_prompt && i + 1 == messages.size());
    }
    EXPECT_EQ(context.tokens(), encode(item["expected"].get<std::string>(), true, true)) << name;
  }
  runtime->clear_prefix_cache();
  test::expect_pool_idle(*runtime);
}

TEST_F(ContextText, AModelWithoutAChatTemplateRefusesTurns) {
  auto runtime = ContextRuntime::open(stories_options());
  {
    auto context = runtime->create();
    try {
      context.append_turn({Role::user, "Hello"});
      ADD_FAILURE() << "a turn without a template";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("no chat template"), std::string::npos)
          << error.what();
    }
    EXPECT_EQ(context.length(), 0);
    EXPECT_TRUE(context.messages().empty());
  }
  test::expect_pool_idle(*runtime);
}

}  // namespace
}  // namespace weft
