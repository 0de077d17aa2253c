// `weft chat`'s slash commands on a ChatSession: /set and /show, /clear, /save and /load, and
// the context window that leaves out the oldest turns before sending.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "chat/chat_session.hpp"

namespace {

using weft::Role;
using weft::chat::ChatSession;

// Answers every request with "ok" and remembers what it was sent.
class RecordingBackend : public weft::Backend {
 public:
  std::string name() const override { return "recording"; }
  weft::Availability available() const override { return {true, {}}; }
  void load(const weft::LoadOptions&) override {}
  weft::ModelInfo model_info() const override {
    weft::ModelInfo info;
    info.name = "tiny-model";
    info.architecture = "llama";
    info.context_length = 4096;
    return info;
  }
  weft::GenerationStream generate(const weft::GenerationRequest& request) override {
    requests.push_back(request);
    weft::GenerationChannel channel(name());
    weft::GenerationStream stream(channel.state());
    weft::TokenEvent token;
    token.text = "ok";
    channel.token(token);
    channel.done({});
    return stream;
  }
  std::vector<weft::GenerationRequest> requests;
};

std::string command(ChatSession& session, const std::string& line) {
  bool quit = false;
  auto reply = session.handle_command(line, quit);
  EXPECT_TRUE(reply.has_value()) << line;
  return reply.value_or("");
}

class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_((std::filesystem::temp_directory_path() /
               ("weft_chat_" + std::to_string(getpid()) + "_" + name))
                  .string()) {}
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }
  void write(const std::string& text) const { std::ofstream(path_) << text; }

 private:
  std::string path_;
};

TEST(ChatCommands, SetChangesWhatTheNextTurnSends) {
  RecordingBackend backend;
  ChatSession session(backend, {});
  EXPECT_EQ(command(session, "/set temperature 0.25"), "(temperature set to 0.25)");
  command(session, "/set top_p 0.5");
  command(session, "/set top_k 7");
  command(session, "/set seed 42");
  command(session, "/set num_predict 9");
  command(session, "/set system Talk like a pirate.");
  session.ask("hi", nullptr);
  ASSERT_EQ(backend.requests.size(), 1u);
  const auto& sent = backend.requests[0];
  EXPECT_EQ(sent.options.temperature, 0.25f);
  EXPECT_EQ(sent.options.top_p, 0.5f);
  EXPECT_EQ(sent.options.top_k, 7u);
  EXPECT_EQ(sent.options.seed, 42u);
  EXPECT_EQ(sent.options.max_tokens, 9u);
  ASSERT_EQ(sent.messages.size(), 2u);
  EXPECT_EQ(sent.messages[0].role, Role::system);
  EXPECT_EQ(sent.messages[0].content, "Talk like a pirate.");
}

TEST(ChatCommands, SetAloneAndShowListTheValues) {
  RecordingBackend backend;
  ChatSession session(backend, {});
  command(session, "/set temperature 0.7");
  command(session, "/set max_tokens 33");
  const std::string settings = command(session, "/set");
  EXPECT_NE(settings.find("temperature 0.7\n"), std::string::npos) << settings;
  EXPECT_NE(settings.find("max_tokens 33\n"), std::string::npos) << settings;
  EXPECT_NE(settings.find("top_k (default)"), std::string::npos) << settings;
  const std::string shown = command(session, "/show");
  EXPECT_NE(shown.find("model: tiny-model (llama)"), std::string::npos) << shown;
  EXPECT_NE(shown.find("context length: 4096 tokens"), std::string::npos) << shown;
  EXPECT_NE(shown.find("temperature 0.7\n"), std::string::npos) << shown;
}

TEST(ChatCommands, BadSettingsSayWhatIsWrongAndChangeNothing) {
  RecordingBackend backend;
  ChatSession session(backend, {});
  command(session, "/set top_p 0.5");
  struct Case {
    std::string line;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {"/set top_p 1.5", "top_p: expected a number from 0 to 1, got '1.5'"},
           {"/set top_p abc", "top_p: expected a number from 0 to 1, got 'abc'"},
           {"/set top_k -3", "top_k: expected a whole number"},
           {"/set temperature -1", "temperature: expected a number >= 0"},
           {"/set max_tokens 0", "max_tokens: expected a whole number >= 1"},
           {"/set seed 1.5", "seed: expected a whole number"},
           {"/set top_p", "top_p needs a value"},
           {"/set warmth 3", "unknown setting 'warmth'"},
       }) {
    const std::string reply = command(session, c.line);
    EXPECT_NE(reply.find(c.says), std::string::npos) << c.line << " → " << reply;
  }
  session.ask("hi", nullptr);
  EXPECT_EQ(backend.requests.at(0).options.top_p, 0.5f);
  EXPECT_FALSE(backend.requests.at(0).options.top_k.has_value());
}

TEST(ChatCommands, ClearForgetsTheConversationAndByeLeaves) {
  RecordingBackend backend;
  ChatSession session(backend, {});
  session.ask("one", nullptr);
  EXPECT_EQ(command(session, "/clear"), "(conversation cleared)");
  session.ask("two", nullptr);
  ASSERT_EQ(backend.requests.back().messages.size(), 1u);
  EXPECT_EQ(backend.requests.back().messages[0].content, "two");
  for (const char* line : {"/bye", "/exit", "/quit"}) {
    bool quit = false;
    session.handle_command(line, quit);
    EXPECT_TRUE(quit) << line;
  }
}

TEST(ChatCommands, SaveThenLoadRestoresTheConversationAndSettings) {
  TempFile file("saved.json");
  RecordingBackend first_backend;
  ChatSession first(first_backend, {}, "tiny-model");
  command(first, "/set system Be brief.");
  command(first, "/set temperature 0");
  command(first, "/set seed 7");
  first.ask("Hello there", nullptr);
  EXPECT_NE(command(first, "/save " + file.path()).find("saved 2 messages"), std::string::npos);

  // What the file holds, read independently of the loader.
  std::ifstream in(file.path());
  auto saved = nlohmann::json::parse(in);
  EXPECT_EQ(saved["weft_chat"], 1);
  EXPECT_EQ(saved["system"], "Be brief.");
  EXPECT_EQ(saved["settings"]["temperature"], 0);
  EXPECT_EQ(saved["settings"]["seed"], 7);
  EXPECT_EQ(saved["messages"], nlohmann::json::parse(R"([{"role":"user","content":"Hello there"},
      {"role":"assistant","content":"ok"}])"));

  RecordingBackend second_backend;
  ChatSession second(second_backend, {});
  EXPECT_NE(command(second, "/load " + file.path()).find("loaded 2 messages"), std::string::npos);
  second.ask("And now?", nullptr);
  first.ask("And now?", nullptr);
  const auto& restored = second_backend.requests.at(0);
  const auto& original = first_backend.requests.at(1);
  ASSERT_EQ(restored.messages.size(), original.messages.size());
  for (size_t i = 0; i < original.messages.size(); ++i) {
    EXPECT_EQ(restored.messages[i].role, original.messages[i].role);
    EXPECT_EQ(restored.messages[i].content, original.messages[i].content);
  }
  EXPECT_EQ(restored.options.temperature, 0.0f);
  EXPECT_EQ(restored.options.seed, 7u);
}

TEST(ChatCommands, LoadSaysWhatIsWrongWithABadFileAndKeepsTheConversation) {
  TempFile file("bad.json");
  struct Case {
    std::string text;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {"not json", "not JSON"},
           {"[]", "expected a JSON object"},
           {R"({"messages": []})", "the field \"weft_chat\" is missing"},
           {R"({"weft_chat": 2, "messages": []})", "weft_chat is 2"},
           {R"({"weft_chat": 1})", "the field \"messages\" is missing"},
           {R"({"weft_chat": 1, "messages": {}})", "messages: expected an array"},
           {R"({"weft_chat": 1, "messages": [{"role": "robot", "content": "x"}]})",
            "messages[0].role: expected \"user\" or \"assistant\", got \"robot\""},
           {R"({"weft_chat": 1, "messages": [{"role": "user"}]})",
            "messages[0]: the field \"content\" is missing"},
           {R"({"weft_chat": 1, "messages": [{"role": "user", "content": 3}]})",
            "messages[0].content: expected a string"},
           {R"({"weft_chat": 1, "messages": [], "settings": {"top_p": 2}})",
            "settings: top_p: expected a number from 0 to 1"},
           {R"({"weft_chat": 1, "messages": [], "settings": {"warmth": 1}})",
            "unknown setting 'warmth'"},
           {R"({"weft_chat": 1, "messages": [], "colour": "red"})", "unknown field \"colour\""},
       }) {
    file.write(c.text);
    RecordingBackend backend;
    ChatSession session(backend, {});
    session.ask("kept", nullptr);
    const std::string reply = command(session, "/load " + file.path());
    EXPECT_NE(reply.find("cannot load: " + file.path()), std::string::npos) << reply;
    EXPECT_NE(reply.find(c.says), std::string::npos) << c.text << " → " << reply;
    EXPECT_EQ(session.history().size(), 2u) << c.text;
  }
  RecordingBackend backend;
  ChatSession session(backend, {});
  EXPECT_NE(command(session, "/load /nonexistent/weft.json").find("cannot read"),
            std::string::npos);
}

TEST(ChatCommands, TheOldestTurnsAreLeftOutUntilThePromptAndAnswerFit) {
  RecordingBackend backend;
  weft::GenerationOptions options;
  options.max_tokens = 10;
  ChatSession session(backend, options);
  session.set_system_prompt("S");
  // One token per byte of content: a known count to check the window against.
  auto count = [](const weft::GenerationRequest& request) {
    size_t tokens = 0;
    for (const auto& message : request.messages) tokens += message.content.size();
    return tokens;
  };
  constexpr uint32_t kContext = 40;  // answer room: min(max_tokens, 40 / 4) = 10
  session.set_context_window(kContext, count);
  // Each turn adds 10 bytes of question and 2 of answer.
  const std::vector<std::string> questions = {"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"};
  std::vector<size_t> dropped;
  for (const auto& question : questions)
    dropped.push_back(session.ask(question, nullptr).dropped_messages);
  // 1 + 10 = 11; 1 + 12 + 10 = 23; 1 + 24 + 10 = 35 > 30: the first turn goes (23).
  EXPECT_EQ(dropped, (std::vector<size_t>{0, 0, 2}));
  const auto& last = backend.requests.back();
  ASSERT_EQ(last.messages.size(), 4u);
  EXPECT_EQ(last.messages[0].content, "S");
  EXPECT_EQ(last.messages[1].content, "bbbbbbbbbb");
  for (const auto& request : backend.requests) EXPECT_LE(count(request) + 10, kContext);
}

}  // namespace
