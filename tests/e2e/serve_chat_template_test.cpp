// weft serve --chat-template: the file replaces the model's template for the native backend,
// and a file that cannot be used stops the daemon before it creates any socket.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/daemon_process.hpp"
#include "support/frames.hpp"

namespace weft::testing {
namespace {

const std::string kModelFile = std::string(WEFT_SOURCE_DIR) + "/assets/stories260K-f32.gguf";
constexpr const char* kPrompt = "Once upon a time";
// What kTemplate renders for one user message kPrompt, written out by hand.
constexpr const char* kRendered = "Once upon a time and then";
constexpr const char* kTemplate = "{% for m in messages %}{{ m.content }} and then{% endfor %}";

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// `weft run` on the bundled model outside any daemon, greedy, `prompt` used as it is.
CommandResult greedy_raw_run(const std::string& prompt) {
  return run_weft({"run", "--backend", "native", "--model", kModelFile, "--ctx", "512", "-t", "1",
                   "--raw", "-n", "8", "--temperature", "0", prompt});
}

TEST(ServeChatTemplate, ChatRequestsAreFormattedWithTheGivenFile) {
  TempDir dir;
  DaemonProcess::Options options;
  options.args = {"--backend",       "native",
                  "--model",         kModelFile,
                  "--ctx",           "512",
                  "--threads",       "1",
                  "--chat-template", write_file(dir, "story.jinja", kTemplate)};
  DaemonProcess daemon(options);
  auto client = daemon.connect();
  auto request = user_request("templated", kPrompt, 8);
  request.options.temperature = 0.0f;
  auto frames = client.generate(request);
  auto collected = collect_frames(frames);
  ASSERT_EQ(collected.terminal.type, client::Frame::Type::done) << daemon.log();

  // stories260K has no template: without the file the daemon would continue kPrompt itself.
  auto rendered = greedy_raw_run(kRendered);
  auto plain = greedy_raw_run(kPrompt);
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
      {write_file(dir, "broken.jinja", "{{ messages[0].content }}\n{% for m in %}"), "line 2"},
  };
  for (const auto& [path, expected] : cases) {
    DaemonProcess::Options options;
    options.args = {"--backend", "native", "--model", kModelFile, "--chat-template", path};
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
