// `weft run --host` and `weft status` against a real daemon.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/daemon_process.hpp"
#include "support/frames.hpp"

namespace weft::testing {
namespace {

TEST(CliDaemon, RunWithHostStreamsTheDaemonsAnswer) {
  DaemonProcess daemon;
  daemon.connect().close();
  auto result = run_weft({"run", "--host", daemon.infer_path(), "-n", "4", "hello"});
  EXPECT_EQ(result.status, 0) << result.errors;
  EXPECT_EQ(result.output, stub_answer(user_request("", "hello", 4)) + "\n");
}

TEST(CliDaemon, RunWithAMissingOrWrongKeyHintsAtTheApiKey) {
  const uint16_t port = free_tcp_port();
  DaemonProcess::Options options;
  options.args = {"--backend", "stub", "--tcp", "127.0.0.1:" + std::to_string(port),
                  "--api-key", "right"};
  DaemonProcess daemon(options);
  daemon.connect().close();
  const std::string host = "127.0.0.1:" + std::to_string(port);
  for (std::vector<std::string> key :
       {std::vector<std::string>{}, std::vector<std::string>{"--api-key", "wrong"}}) {
    std::vector<std::string> args = {"run", "--host", host, "-n", "2"};
    args.insert(args.end(), key.begin(), key.end());
    args.push_back("hello");
    auto result = run_weft(args);
    EXPECT_NE(result.status, 0) << result.output;
    EXPECT_NE(result.errors.find("API key"), std::string::npos) << result.errors;
  }
  auto served = run_weft({"run", "--host", host, "--api-key", "right", "-n", "2", "hello"});
  EXPECT_EQ(served.status, 0) << served.errors;
  EXPECT_EQ(served.output, stub_answer(user_request("", "hello", 2)) + "\n");
}

TEST(CliDaemon, StatusShowsCapabilitiesAndState) {
  DaemonProcess daemon;
  daemon.connect().close();
  std::string xdg = std::filesystem::path(daemon.runtime_dir()).parent_path().string();
  auto result = run_weft({"status"}, {{"XDG_RUNTIME_DIR", xdg}});
  EXPECT_EQ(result.status, 0) << result.errors;
  EXPECT_NE(result.output.find("backend: stub"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("state: ready"), std::string::npos) << result.output;
  auto json = run_weft({"status", "--json", "--socket", daemon.admin_path()});
  EXPECT_NE(json.output.find("\"status\":\"ready\""), std::string::npos) << json.output;
}

TEST(CliDaemon, StatusWithoutADaemonFailsClearly) {
  TempDir empty;
  auto result = run_weft({"status"}, {{"XDG_RUNTIME_DIR", empty.path()}});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.errors.find("no weft daemon"), std::string::npos) << result.errors;
}

}  // namespace
}  // namespace weft::testing
