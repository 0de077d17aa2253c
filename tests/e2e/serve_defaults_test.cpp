// Serving defaults: `weft serve` with nothing chosen refuses and says how to choose, a missing
// XDG_RUNTIME_DIR is refused rather than created, and `weft run` mentions a listening daemon.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/daemon_process.hpp"

namespace weft::testing {
namespace {

TEST(ServeDefaults, NothingChosenIsRefusedWithTheWaysToChoose) {
  TempDir runtime;
  auto result = run_weft({"serve"}, {{"XDG_RUNTIME_DIR", runtime.path()},
                                     {"WEFT_BACKEND", ""},
                                     {"WEFT_MODEL", ""},
                                     {"WEFT_ENGINE_BIN", ""}});
  EXPECT_EQ(result.status, 1) << result.errors;
  for (const char* way : {"--model", "--backend ollama|openai|stub", "WEFT_BACKEND"})
    EXPECT_NE(result.errors.find(way), std::string::npos) << way << ": " << result.errors;
  // Refused before any socket was made.
  EXPECT_FALSE(std::filesystem::exists(runtime.path() + "/weft")) << result.errors;
}

TEST(ServeDefaults, WeftBackendStubStillServes) {
  DaemonProcess::Options options;
  options.args = {};
  options.env = {{"WEFT_BACKEND", "stub"}};
  DaemonProcess daemon(options);
  EXPECT_NO_THROW(daemon.connect()) << daemon.log();
}

TEST(ServeDefaults, AMissingXdgRuntimeDirIsRefusedNotCreated) {
  TempDir parent;
  const std::string missing = parent.path() + "/not-there";
  auto result = run_weft({"serve", "--backend", "stub"}, {{"XDG_RUNTIME_DIR", missing}});
  EXPECT_EQ(result.status, 1) << result.errors;
  EXPECT_NE(result.errors.find("XDG_RUNTIME_DIR=" + missing + " does not exist"), std::string::npos)
      << result.errors;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST(ServeDefaults, RunMentionsARunningDaemon) {
  DaemonProcess daemon;
  daemon.connect();  // the socket is there
  const std::string xdg = std::filesystem::path(daemon.runtime_dir()).parent_path().string();
  auto result = run_weft({"run", "--backend", "stub", "-n", "2", "hi"},
                         {{"XDG_RUNTIME_DIR", xdg}, {"WEFT_STUB_DELAY_MS", "0"}});
  EXPECT_EQ(result.status, 0) << result.errors;
  EXPECT_NE(result.errors.find("--host " + daemon.infer_path()), std::string::npos)
      << result.errors;

  TempDir empty;
  auto alone = run_weft({"run", "--backend", "stub", "-n", "2", "hi"},
                        {{"XDG_RUNTIME_DIR", empty.path()}, {"WEFT_STUB_DELAY_MS", "0"}});
  EXPECT_EQ(alone.status, 0) << alone.errors;
  EXPECT_EQ(alone.errors.find("--host"), std::string::npos) << alone.errors;
}

}  // namespace
}  // namespace weft::testing
