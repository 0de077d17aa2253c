// ChatSession over real backends: history, commands, cancellation and failed turns.
#include <gtest/gtest.h>

#include "backend/stub_backend.hpp"
#include "chat/chat_session.hpp"

namespace {

using weft::DoneEvent;
using weft::ErrorEvent;
using weft::Role;
using weft::StopReason;
using weft::chat::ChatSession;

class FailingBackend : public weft::Backend {
 public:
  std::string name() const override { return "failing"; }
  weft::Availability available() const override { return {true, {}}; }
  void load(const weft::LoadOptions&) override {}
  weft::ModelInfo model_info() const override { return {}; }
  weft::GenerationStream generate(const weft::GenerationRequest&) override {
    weft::GenerationChannel channel(name());
    weft::GenerationStream stream(channel.state());
    channel.error(weft::ErrorCode::internal, "model exploded");
    return stream;
  }
};

weft::backend::StubConfig stub_config(int delay_ms) {
  weft::backend::StubConfig config;
  config.token_delay = std::chrono::milliseconds(delay_ms);
  return config;
}

TEST(ChatSession, KeepsTheConversationAndSendsItWhole) {
  weft::backend::StubBackend stub(stub_config(0));
  ChatSession session(stub, {});
  session.set_system_prompt("Be brief.");
  auto first = session.ask("Hi", nullptr);
  ASSERT_TRUE(std::holds_alternative<DoneEvent>(first.terminal));
  EXPECT_FALSE(first.text.empty());
  session.ask("Again", nullptr);
  auto messages = session.conversation();
  ASSERT_EQ(messages.size(), 5u);
  EXPECT_EQ(messages[0].role, Role::system);
  EXPECT_EQ(messages[1].content, "Hi");
  EXPECT_EQ(messages[2].role, Role::assistant);
  EXPECT_EQ(messages[2].content, first.text);
  EXPECT_EQ(messages[3].content, "Again");
}

TEST(ChatSession, CommandsChangeTheSession) {
  weft::backend::StubBackend stub(stub_config(0));
  ChatSession session(stub, {});
  bool quit = false;
  EXPECT_FALSE(session.handle_command("hello /reset", quit).has_value());
  session.ask("one", nullptr);
  EXPECT_TRUE(session.handle_command("/system  You are a pirate. ", quit).has_value());
  EXPECT_EQ(session.system_prompt(), "You are a pirate.");
  EXPECT_TRUE(session.handle_command("/reset", quit).has_value());
  EXPECT_TRUE(session.history().empty());
  EXPECT_EQ(session.system_prompt(), "You are a pirate.");
  EXPECT_TRUE(session.handle_command("/frobnicate", quit)->find("unknown") != std::string::npos);
  EXPECT_FALSE(quit);
  session.handle_command("/quit", quit);
  EXPECT_TRUE(quit);
}

TEST(ChatSession, CancellingKeepsThePartialAnswer) {
  weft::backend::StubBackend stub(stub_config(20));
  ChatSession session(stub, {});
  weft::GenerationStream* current = nullptr;
  size_t chunks = 0;
  auto turn = session.ask(
      "Hi",
      [&](std::string_view) {
        if (++chunks == 2 && current) current->cancel();
      },
      [&](weft::GenerationStream* stream) { current = stream; });
  ASSERT_TRUE(std::holds_alternative<DoneEvent>(turn.terminal));
  EXPECT_EQ(std::get<DoneEvent>(turn.terminal).reason, StopReason::cancelled);
  EXPECT_EQ(current, nullptr);  // the stream is handed back before it ends
  EXPECT_LT(turn.text.size(), stub_config(0).text.size());
  ASSERT_EQ(session.history().size(), 2u);
  EXPECT_EQ(session.history()[1].content, turn.text);
}

TEST(ChatSession, AFailedTurnLeavesTheHistoryAlone) {
  FailingBackend failing;
  ChatSession session(failing, {});
  auto turn = session.ask("Hi", nullptr);
  ASSERT_TRUE(std::holds_alternative<ErrorEvent>(turn.terminal));
  EXPECT_EQ(std::get<ErrorEvent>(turn.terminal).message, "model exploded");
  EXPECT_TRUE(session.history().empty());
}

}  // namespace
