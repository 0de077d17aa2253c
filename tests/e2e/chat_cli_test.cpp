// `weft template render` and `weft chat`, run as a user would, with stdin piped in.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/chat_template_cases.hpp"
#include "support/run_weft_input.hpp"
#include "support/shared_files.hpp"
#include "support/text_pieces.hpp"

namespace {

using nlohmann::ordered_json;
using weft::test::run_weft_with_input;

std::string template_path(const std::string& name) {
  return weft::test::shared_path("models/chat-templates/" + name + ".jinja").string();
}

TEST(TemplateRenderCli, PrintsTheReferenceRenderingOfARequest) {
  const std::string name = "Qwen-Qwen2.5-7B-Instruct";
  auto c = weft::test::chat_template_case(name, "tools_call_and_result");
  ordered_json request = {{"messages", c["messages"]},
                          {"tools", c["tools"]},
                          {"add_generation_prompt", c["add_generation_prompt"]},
                          {"bos_token", c["bos_token"]},
                          {"eos_token", c["eos_token"]}};
  auto result = run_weft_with_input({"template", "render", "--template", template_path(name)},
                                    request.dump());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, c["expected"].get<std::string>());
}

TEST(TemplateRenderCli, ATemplateErrorIsPrintedAndFails) {
  const std::string name = "google-gemma-2-2b-it";
  auto c = weft::test::chat_template_case(name, "system_user_gen");
  ordered_json request = {{"messages", c["messages"]}, {"bos_token", c["bos_token"]}};
  auto result = run_weft_with_input({"template", "render", "--template", template_path(name)},
                                    request.dump());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find(c["error"].get<std::string>()), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

TEST(TemplateRenderCli, UsesTheModelsTemplateAndTokensByDefault) {
  // Rendered by Python's Jinja2 from the template and BOS/EOS strings stored in the GGUF.
  auto reference = ordered_json::parse(weft::test::read_text_file(
      std::string(WEFT_SOURCE_DIR) + "/tests/chat/data/model_render_case.json"));
  std::string model = weft::test::shared_path(reference["model"].get<std::string>()).string();
  auto result = run_weft_with_input({"template", "render", model}, reference["request"].dump());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, reference["expected"].get<std::string>());
}

TEST(TemplateRenderCli, ModelWithoutTemplateFallsBackToChatMl) {
  std::string model = weft::test::shared_path("models/stories260K/stories260K-f32.gguf").string();
  auto result = run_weft_with_input({"template", "render", model},
                                    R"({"messages":[{"role":"user","content":"Hi"}]})");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_NE(result.err.find("ChatML"), std::string::npos);
}

TEST(TemplateRenderCli, RejectsBadRequests) {
  auto not_json = run_weft_with_input(
      {"template", "render", "--template", template_path("Qwen-Qwen2.5-7B-Instruct")}, "{nope");
  EXPECT_NE(not_json.exit_code, 0);
  EXPECT_NE(not_json.err.find("not valid JSON"), std::string::npos);
  auto neither = run_weft_with_input({"template", "render"}, "{}");
  EXPECT_NE(neither.exit_code, 0);
}

const std::vector<std::pair<std::string, std::string>> kFastStub = {{"WEFT_STUB_DELAY_MS", "0"}};

// The prompt-token counts that --stats reports, in order (the stub counts the words of all
// messages it receives, so they show what history the backend was sent).
std::vector<unsigned> prompt_tokens(const std::string& err) {
  std::vector<unsigned> counts;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    auto colon = line.find(": ");
    if (line.rfind("[stub", 0) == 0 && colon != std::string::npos)
      counts.push_back(std::stoul(line.substr(colon + 2)));
  }
  return counts;
}

TEST(ChatCli, KeepsHistoryAcrossTurnsAndResets) {
  auto result = run_weft_with_input({"chat", "--backend", "stub", "--stats"},
                                    "hello\nsecond turn\n/reset\nthird\n", kFastStub);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(weft::test::count_occurrences(result.out, "stub backend"), 3u) << result.out;
  auto counts = prompt_tokens(result.err);
  ASSERT_EQ(counts.size(), 3u) << result.err;
  EXPECT_GT(counts[1], counts[0] + 2);  // the first question and answer went along
  EXPECT_EQ(counts[2], 1u);             // after /reset: only "third"
}

TEST(ChatCli, SystemCommandSetsTheSystemPrompt) {
  auto result = run_weft_with_input({"chat", "--backend", "stub", "--stats"},
                                    "/system Be very terse\nhi\n", kFastStub);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  auto counts = prompt_tokens(result.err);
  ASSERT_EQ(counts.size(), 1u) << result.err;
  EXPECT_EQ(counts[0], 4u);  // "Be very terse" + "hi"
}

TEST(ChatCli, EndOfInputAndQuitLeave) {
  auto at_end = run_weft_with_input({"chat", "--backend", "stub"}, "", kFastStub);
  EXPECT_EQ(at_end.exit_code, 0);
  auto quit = run_weft_with_input({"chat", "--backend", "stub"}, "/quit\nnot asked\n", kFastStub);
  EXPECT_EQ(quit.exit_code, 0);
  EXPECT_EQ(weft::test::count_occurrences(quit.out, "stub backend"), 0u);
}

// `weft chat MODEL` is `weft chat --model MODEL`: the same answers from the same file, and a
// missing file is named in the error.
TEST(ChatCli, TakesTheModelAsAnArgument) {
  const std::string model =
      weft::test::shared_path("models/stories260K/stories260K-f32.gguf").string();
  const std::vector<std::string> generation = {
      "--backend", "native", "--ctx", "512", "-t", "1", "-n", "12", "--temperature", "0"};
  auto with_option = generation;
  with_option.insert(with_option.begin(), {"chat", "--model", model});
  auto with_argument = generation;
  with_argument.insert(with_argument.begin(), {"chat", model});
  auto by_option = run_weft_with_input(with_option, "Once upon a time\n");
  auto by_argument = run_weft_with_input(with_argument, "Once upon a time\n");
  ASSERT_EQ(by_option.exit_code, 0) << by_option.err;
  EXPECT_EQ(by_argument.exit_code, 0) << by_argument.err;
  EXPECT_EQ(by_argument.out, by_option.out);
  EXPECT_GT(by_argument.out.size(), 1u);

  const std::string missing = "/nonexistent/weft-chat-model.gguf";
  auto not_there = run_weft_with_input({"chat", missing, "--backend", "native"}, "hi\n");
  EXPECT_NE(not_there.exit_code, 0);
  EXPECT_NE(not_there.err.find(missing), std::string::npos) << not_there.err;
}

}  // namespace

// ---- Ctrl-C, with a real SIGINT sent to a running `weft chat` ----

namespace {

// A `weft chat` process with pipes on all three streams.
class ChatProcess {
 public:
  explicit ChatProcess(int stub_delay_ms) {
    int in[2], out[2], err[2];
    if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
      setenv("WEFT_STUB_DELAY_MS", std::to_string(stub_delay_ms).c_str(), 1);
      execl(WEFT_BINARY, WEFT_BINARY, "chat", "--backend", "stub", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    stderr_ = err[0];
  }
  ~ChatProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(stdin_);
    close(stdout_);
    close(stderr_);
  }

  void send(const std::string& text) {
    ASSERT_EQ(write(stdin_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void interrupt() { kill(pid_, SIGINT); }

  // Reads both streams until `done` says so or the generous deadline passes (a hang guard,
  // not a timing assertion).
  bool pump_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      pollfd fds[2] = {{stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}};
      poll(fds, 2, 100);
      char buffer[4096];
      if (fds[0].revents & POLLIN) {
        ssize_t n = read(stdout_, buffer, sizeof buffer);
        if (n > 0) out.append(buffer, static_cast<size_t>(n));
      }
      if (fds[1].revents & POLLIN) {
        ssize_t n = read(stderr_, buffer, sizeof buffer);
        if (n > 0) err.append(buffer, static_cast<size_t>(n));
      }
    }
    return true;
  }

  bool wait_exit(int& code) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return true;
      }
      pump_until([] { return true; });
      usleep(20000);
    }
    return false;
  }

  std::string out;
  std::string err;

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1, stderr_ = -1;
  bool exited_ = false;
};

TEST(ChatCli, CtrlCStopsTheAnswerAndTwiceAtThePromptLeaves) {
  ChatProcess chat(100);  // slow enough to be interrupted mid-answer
  chat.send("hello\n");
  ASSERT_TRUE(chat.pump_until([&] { return chat.out.find("stub") != std::string::npos; }))
      << chat.out;
  chat.interrupt();
  ASSERT_TRUE(chat.pump_until([&] { return chat.err.find("(stopped)") != std::string::npos; }))
      << chat.err;
  EXPECT_EQ(chat.out.find("real inference"),
            std::string::npos);  // the canned answer's end never came

  // The session goes on after a stopped answer.
  chat.send("/reset\n");
  ASSERT_TRUE(chat.pump_until(
      [&] { return chat.out.find("(conversation cleared)") != std::string::npos; }));

  // stdin stays open: only the two Ctrl-C make it leave.
  chat.interrupt();
  ASSERT_TRUE(chat.pump_until([&] { return chat.err.find("Ctrl-C again") != std::string::npos; }))
      << chat.err;
  chat.interrupt();
  int code = -1;
  ASSERT_TRUE(chat.wait_exit(code));
  EXPECT_EQ(code, 0);
}

}  // namespace
