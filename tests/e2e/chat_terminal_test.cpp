// `weft chat` at a terminal (a pseudo-terminal): the line editor's history (Up recalls the
// previous line, kept across sessions in $XDG_STATE_HOME/weft/chat_history), """ blocks,
// Ctrl-C and Ctrl-D. What was sent is read back from /save's file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/terminal_session.hpp"

namespace {

using weft::test::TerminalSession;

constexpr const char* kUp = "\033[A";
constexpr const char* kAnswered = "generated, stop:";  // the --stats line after each answer

class ChatTerminal : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("weft_chat_tty_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "state");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::pair<std::string, std::string>> environment(
      const std::string& stub_delay_ms = "0") const {
    return {{"TERM", "xterm"},       {"XDG_STATE_HOME", (dir_ / "state").string()},
            {"HOME", dir_.string()}, {"WEFT_STUB_DELAY_MS", stub_delay_ms},
            {"WEFT_BACKEND", ""},    {"WEFT_ENGINE_BIN", ""},
            {"NO_COLOR", "1"}};
  }
  std::vector<std::string> stub_chat() const { return {"chat", "--backend", "stub", "--stats"}; }

  std::vector<std::string> saved_user_messages(const std::string& file) const {
    std::ifstream in(dir_ / file);
    auto saved = nlohmann::json::parse(in);
    std::vector<std::string> user;
    for (const auto& message : saved.at("messages"))
      if (message.at("role") == "user") user.push_back(message.at("content"));
    return user;
  }

  std::string path(const std::string& file) const { return (dir_ / file).string(); }

  std::filesystem::path dir_;
};

TEST_F(ChatTerminal, UpRecallsThePreviousLineWithinAndAcrossSessions) {
  {
    TerminalSession chat(stub_chat(), environment());
    ASSERT_TRUE(chat.wait_for("/help lists the commands")) << chat.shown();
    ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
    chat.type("hello weft\r");
    ASSERT_TRUE(chat.wait_for(kAnswered, 1)) << chat.shown();
    ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
    chat.type(std::string(kUp) + "\r");
    ASSERT_TRUE(chat.wait_for(kAnswered, 2)) << chat.shown();
    ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
    chat.type("/save " + path("first.json") + "\r");
    ASSERT_TRUE(chat.wait_for("(saved 4 messages")) << chat.shown();
    ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
    chat.type("/bye\r");
    EXPECT_EQ(chat.wait_exit(), 0) << chat.shown();
  }
  EXPECT_EQ(saved_user_messages("first.json"),
            (std::vector<std::string>{"hello weft", "hello weft"}));
  ASSERT_TRUE(std::filesystem::exists(dir_ / "state/weft/chat_history"));

  // The history is now: "hello weft", "/save …", "/bye"; three Ups reach the first.
  TerminalSession again(stub_chat(), environment());
  ASSERT_TRUE(again.wait_for("/help lists the commands")) << again.shown();
  ASSERT_TRUE(again.wait_for_editor()) << again.shown();
  again.type(std::string(kUp) + kUp + kUp + "\r");
  ASSERT_TRUE(again.wait_for(kAnswered, 1)) << again.shown();
  ASSERT_TRUE(again.wait_for_editor()) << again.shown();
  again.type("/save " + path("second.json") + "\r");
  ASSERT_TRUE(again.wait_for("(saved 2 messages")) << again.shown();
  ASSERT_TRUE(again.wait_for_editor()) << again.shown();
  again.type("\004");  // Ctrl-D at an empty prompt leaves
  EXPECT_EQ(again.wait_exit(), 0) << again.shown();
  EXPECT_EQ(saved_user_messages("second.json"), (std::vector<std::string>{"hello weft"}));
}

TEST_F(ChatTerminal, TripleQuotesMakeOneMessageOfSeveralLines) {
  TerminalSession chat(stub_chat(), environment());
  ASSERT_TRUE(chat.wait_for("/help lists the commands")) << chat.shown();
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("\"\"\"first line\r/not a command\r\"\"\"\r");
  ASSERT_TRUE(chat.wait_for(kAnswered, 1)) << chat.shown();
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("/save " + path("block.json") + "\r");
  ASSERT_TRUE(chat.wait_for("(saved 2 messages")) << chat.shown();
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("/bye\r");
  EXPECT_EQ(chat.wait_exit(), 0) << chat.shown();
  EXPECT_EQ(saved_user_messages("block.json"),
            (std::vector<std::string>{"first line\n/not a command"}));
}

TEST_F(ChatTerminal, UnicodeIsTypedAndEditedAsCharacters) {
  // In the C locale too: the editor decodes UTF-8 itself.
  auto env = environment();
  env.push_back({"LC_ALL", "C"});
  env.push_back({"LANG", "C"});
  TerminalSession chat(stub_chat(), env);
  ASSERT_TRUE(chat.wait_for("> ")) << chat.shown();
  // Backspace (DEL) removes the last character, all three bytes of it.
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("h\xC3\xA9llo \xE2\x9C\x93 \xE6\x97\xA5\xE6\x9C\xAC\x7F\r");
  ASSERT_TRUE(chat.wait_for(kAnswered, 1)) << chat.shown();
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("/save " + path("unicode.json") + "\r");
  ASSERT_TRUE(chat.wait_for("(saved 2 messages")) << chat.shown();
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("/bye\r");
  EXPECT_EQ(chat.wait_exit(), 0) << chat.shown();
  EXPECT_EQ(saved_user_messages("unicode.json"),
            (std::vector<std::string>{"h\xC3\xA9llo \xE2\x9C\x93 \xE6\x97\xA5"}));
}

TEST_F(ChatTerminal, CtrlCStopsTheAnswerThenTwiceAtThePromptLeaves) {
  // A slow stub: the answer is still being written when Ctrl-C arrives.
  TerminalSession chat({"chat", "--backend", "stub", "-n", "100000"}, environment("200"));
  ASSERT_TRUE(chat.wait_for("/help lists the commands")) << chat.shown();
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("tell me everything\r");
  ASSERT_TRUE(chat.wait_for("This is")) << chat.shown();  // the stub's answer has begun
  chat.type("\003");
  ASSERT_TRUE(chat.wait_for("(stopped)")) << chat.shown();
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("\003");
  ASSERT_TRUE(chat.wait_for("Ctrl-C again or Ctrl-D to leave")) << chat.shown();
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("\003");
  EXPECT_EQ(chat.wait_exit(), 0) << chat.shown();
}

TEST_F(ChatTerminal, ThePromptIsBoldUnlessNoColorIsSet) {
  constexpr const char* kBoldPrompt = "\033[1m>\033[0m ";
  for (const std::string no_colour : {"", "1"}) {
    auto env = environment();
    for (auto& [name, value] : env)
      if (name == "NO_COLOR") value = no_colour;
    TerminalSession chat(stub_chat(), env);
    ASSERT_TRUE(chat.wait_for("/help lists the commands")) << chat.shown();
    ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
    chat.type("/bye\r");
    EXPECT_EQ(chat.wait_exit(), 0) << chat.shown();
    EXPECT_EQ(chat.shown().find(kBoldPrompt) != std::string::npos, no_colour.empty())
        << "NO_COLOR=" << no_colour << ": " << chat.shown();
  }
}

TEST_F(ChatTerminal, AHistoryFileThatCannotBeWrittenIsAWarning) {
  // XDG_STATE_HOME names a file: the folder weft/ cannot be made in it.
  std::ofstream(dir_ / "not-a-folder") << "x";
  auto env = environment();
  for (auto& [name, value] : env)
    if (name == "XDG_STATE_HOME") value = (dir_ / "not-a-folder").string();
  TerminalSession chat(stub_chat(), env);
  ASSERT_TRUE(chat.wait_for("/help lists the commands")) << chat.shown();
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("hi\r");
  ASSERT_TRUE(chat.wait_for(kAnswered, 1)) << chat.shown();
  ASSERT_TRUE(chat.wait_for_editor()) << chat.shown();
  chat.type("/bye\r");
  EXPECT_EQ(chat.wait_exit(), 0) << chat.shown();
  EXPECT_NE(chat.shown().find("weft: warning: cannot write the chat history"), std::string::npos)
      << chat.shown();
}

}  // namespace
