// weft serve --chat-template: the file replaces the model's template for the native backend,
// and a file that cannot be used stops the daemon before it creates any socket.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/bundled_model.hpp"
#include "support/daemon_process.hpp"
#include "support/frames.hpp"

namespace weft::testing {
namespace {

constexpr const char* kUserMessage = "Once upon a time";
// What kStoryTemplate renders for one user message kUserMessage, written out by hand.
constexpr const char* kRendered = "Once upon a time and then";
constexpr const char* kStoryTemplate =
    "{% for m in messages %}{{ m.content }} and then{% endfor %}";

// `weft run` on the bundled model outside any daemon, greedy, `prompt` used as it is.
CommandResult greedy_raw_run(const std::string& prompt) {
  return run_weft({"run", "--backend", "native", "--model", test::bundled_model_file(), "--ctx",
                   "512", "-t", "1", "--raw", "-n", "8", "--temperature", "0", prompt});
}

TEST(ServeChatTemplate, ChatRequestsAreFormattedWithTheGivenFile) {
  TempDir dir;
  DaemonProcess::Options options;
  options.args = {"--backend",       "native",
                  "--model",         test::bundled_model_file(),
                  "--ctx",           "512",
                  "--threads",       "1",
                  "--chat-template", dir.write_file("story.jinja", kStoryTemplate)};
  DaemonProcess daemon(options);
  auto client = daemon.connect();
  auto request = user_request("templated", kUserMessage, 8);
  request.options.temperature = 0.0f;
  auto frames = client.generate(request);
  auto collected = collect_frames(frames);
  ASSERT_EQ(collected.terminal.type, client::Frame::Type::done) << daemon.log();

  // stories260K has no template: without the file the daemon would continue kUserMessage itself.
  auto rendered = greedy_raw_run(kRendered);
  auto plain = greedy_raw_run(kUserMessage);
  ASSERT_EQ(rendered.status, 0) << rendered.errors;
  ASSERT_EQ(plain.status, 0) << plain.errors;
  ASSERT_NE(rendered.output, plain.output) << "the two prompts must lead to different answers";
  EXPECT_EQ(collected.token_text() + "\n", rendered.output);
}

TEST(ServeChatTemplate, AnUnusableFileStopsTheDaemonBeforeAnySocket) {
  TempDir dir;
  struct Case {
    std::string path;
    std::string expected;  // in the error message, besides the path
  };
  const std::vector<Case> cases = {
      {dir.path() + "/missing.jinja", "cannot read"},
      {dir.path(), "directory"},
      {dir.write_file("broken.jinja", "{{ messages[0].content }}\n{% for m in %}"), "line 2"},
  };
  for (const auto& [path, expected] : cases) {
    DaemonProcess::Options options;
    options.args = {"--backend",       "native", "--model", test::bundled_model_file(),
                    "--chat-template", path};
    DaemonProcess daemon(options);
    EXPECT_EQ(daemon.wait_exit(), 1) << path;
    const std::string log = daemon.log();
    EXPECT_NE(log.find("weft: error: "), std::string::npos) << log;
    EXPECT_NE(log.find(path), std::string::npos) << log;
    EXPECT_NE(log.find(expected), std::string::npos) << log;
    // The daemon creates its runtime directory before it binds anything in it.
    EXPECT_FALSE(std::filesystem::exists(daemon.runtime_dir())) << path;
  }
}

}  // namespace
}  // namespace weft::testing
