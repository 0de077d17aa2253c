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
