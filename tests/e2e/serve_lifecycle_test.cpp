// weft serve end to end: ready gating, the admin socket, signals, files and listeners.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/bundled_model.hpp"
#include "support/daemon_process.hpp"
#include "support/frames.hpp"
#include "weft/error.hpp"

namespace weft::testing {
namespace {

// Reads admin events until one with `status` arrives; returns everything read except the
// `stats` frames (counters, not states; serve_stats_test covers them).
std::vector<client::AdminEvent> events_until(client::AdminClient& admin,
                                             const std::string& status) {
  std::vector<client::AdminEvent> events;
  while (auto event = admin.next_for(std::chrono::milliseconds(kPatience))) {
    if (event->is_stats()) continue;
    events.push_back(*event);
    if (event->status == status) return events;
  }
  ADD_FAILURE() << "no '" << status << "' event";
  return events;
}

// "status" or "status/phase", for comparing sequences.
std::vector<std::string> names(const std::vector<client::AdminEvent>& events) {
  std::vector<std::string> result;
  for (const auto& event : events) {
    result.push_back(event.phase.empty() ? event.status : event.status + "/" + event.phase);
  }
  return result;
}

mode_t file_mode(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

TEST(ServeLifecycle, ConnectFailsBeforeReadyAndSucceedsAfter) {
  DaemonProcess::Options options;
  options.env["WEFT_STUB_LOAD_DELAY_MS"] = "1500";
  DaemonProcess daemon(options);
  auto admin = daemon.admin();  // bound before any model work
  auto first = admin.next_for(std::chrono::milliseconds(kPatience));
  ASSERT_TRUE(first);
  ASSERT_NE(first->status, "ready") << "the load delay should still be running";
  try {
    client::Client::dial(daemon.infer_address());
    FAIL() << "connected before ready";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::backend_unavailable);
  }
  EXPECT_FALSE(std::filesystem::exists(daemon.infer_path()));
  auto client = client::dial_and_wait_ready(daemon.infer_address(), kPatience);
  // A successful connect means ready: the request is served.
  auto frames = client.generate(user_request("after-ready", "hi", 2));
  EXPECT_EQ(collect_frames(frames).terminal.type, client::Frame::Type::done);
  auto rest = events_until(admin, "ready");
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back().status, "ready");
}

TEST(ServeLifecycle, DialAndWaitReadyFailsAtOnceOnPermanentErrors) {
  TempDir dir;
  std::string not_a_socket = dir.path() + "/plain-file";
  { std::ofstream(not_a_socket) << "x"; }
  // Connecting to a file that is not a socket is refused (ECONNREFUSED is transient), so
  // use a path whose parent is a file: ENOTDIR is permanent and must not be retried.
  try {
    client::dial_and_wait_ready(client::Address::unix_socket(not_a_socket + "/infer.sock"),
                                std::chrono::hours(1));
    FAIL() << "connected to nothing";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()).find("gave up"), std::string::npos) << error.what();
  }
  try {
    client::dial_and_wait_ready(client::Address::unix_socket(dir.path() + "/absent.sock"),
                                std::chrono::milliseconds(300));
    FAIL() << "connected to nothing";
  } catch (const Error& error) {
    // Not found is transient: retried until the deadline.
    EXPECT_NE(std::string(error.what()).find("gave up"), std::string::npos) << error.what();
  }
}

TEST(ServeLifecycle, AdminPublishesPhasesCapabilitiesAndReadyInOrder) {
  DaemonProcess::Options options;
  options.args = {"--backend", "stub", "--model", test::bundled_model_file(), "--ctx", "128"};
  options.env["WEFT_STUB_LOAD_DELAY_MS"] = "1500";
  DaemonProcess daemon(options);
  auto admin = daemon.admin();
  auto events = events_until(admin, "ready");
  const std::vector<std::string> full = {"starting",           "loading_model/checking_local",
                                         "loading_model/mmap", "loading_model/kv_cache",
                                         "capabilities",       "ready"};
  auto seen = names(events);
  ASSERT_FALSE(seen.empty());
  // We joined at some point of the sequence; from there on nothing is missing or reordered.
  auto join = std::find(full.begin(), full.end(), seen.front());
  ASSERT_NE(join, full.end()) << seen.front();
  EXPECT_EQ(seen, std::vector<std::string>(join, full.end()));
  for (const auto& event : events) {
    if (event.phase == "mmap" || event.phase == "checking_local") {
      EXPECT_EQ(event.path, test::bundled_model_file());
    }
    if (event.phase == "kv_cache") {
      EXPECT_EQ(event.n_ctx, 128u);
    }
  }

  // A later subscriber gets capabilities, then the current state.
  auto late = daemon.admin();
  auto caps = late.next_for(std::chrono::milliseconds(kPatience));
  ASSERT_TRUE(caps);
  EXPECT_TRUE(caps->is_capabilities());
  EXPECT_EQ(caps->backend, "stub");
  EXPECT_EQ(caps->accelerator, "cpu");
  for (const char* key : {"\"vision\":", "\"audio\":", "\"tools\":", "\"thinking\":", "\"embed\":",
                          "\"gpu_layers\":", "\"id\":\"admin\"", "\"type\":\"status\""}) {
    EXPECT_NE(caps->raw.find(key), std::string::npos) << key;
  }
  auto state = late.next_for(std::chrono::milliseconds(kPatience));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, "ready");
}

TEST(ServeLifecycle, SigtermDrainsInFlightRequestsAndExitsZero) {
  DaemonProcess::Options options;
  options.args = {"--backend", "stub", "--drain-timeout", "120"};
  options.env["WEFT_STUB_DELAY_MS"] = "50";
  DaemonProcess daemon(options);
  auto client = daemon.connect();
  auto admin = daemon.admin();
  auto request = user_request("in-flight", "hi", 20);
  auto frames = client.generate(request);
  ASSERT_EQ(frames.next()->type, client::Frame::Type::token);
  daemon.send_signal(SIGTERM);
  auto events = events_until(admin, "draining");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().status, "draining");
  // The request started before SIGTERM still finishes normally.
  client::Frame terminal;
  while (auto frame = frames.next()) terminal = *frame;
  EXPECT_EQ(terminal.type, client::Frame::Type::done) << terminal.raw;
  EXPECT_EQ(terminal.stop_reason, "length");
  EXPECT_EQ(daemon.wait_exit(), 0) << daemon.log();
  EXPECT_FALSE(std::filesystem::exists(daemon.infer_path()));
  EXPECT_FALSE(std::filesystem::exists(daemon.admin_path()));
}

TEST(ServeLifecycle, SigtermDuringTheLoadDrainsWithoutBecomingReady) {
  DaemonProcess::Options options;
  options.env["WEFT_STUB_LOAD_DELAY_MS"] = "1500";
  DaemonProcess daemon(options);
  auto admin = daemon.admin();
  auto loading = events_until(admin, "loading_model");
  ASSERT_FALSE(loading.empty());
  ASSERT_EQ(loading.back().status, "loading_model");
  daemon.send_signal(SIGTERM);
  std::vector<std::string> seen;
  while (auto event = admin.next_for(std::chrono::milliseconds(kPatience))) {
    if (event->is_stats()) continue;
    seen.push_back(event->status);
    if (event->status == "draining") break;
  }
  EXPECT_EQ(std::find(seen.begin(), seen.end(), "ready"), seen.end());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), "draining");
  // Watched until exit: the inference socket is never created.
  std::optional<int> status;
  bool infer_socket_seen = false;
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!status && std::chrono::steady_clock::now() < deadline) {
    infer_socket_seen = infer_socket_seen || std::filesystem::exists(daemon.infer_path());
    status = daemon.wait_exit(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(infer_socket_seen);
  EXPECT_EQ(status, 0) << daemon.log();
}

TEST(ServeLifecycle, SigtermDuringAReloadDrainsWithoutBecomingReadyAgain) {
  DaemonProcess::Options options;
  options.env["WEFT_STUB_LOAD_DELAY_MS"] = "1500";
  DaemonProcess daemon(options);
  daemon.connect().close();
  auto admin = daemon.admin();
  events_until(admin, "ready");  // the snapshot
  daemon.send_signal(SIGHUP);
  auto loading = events_until(admin, "loading_model");
  ASSERT_FALSE(loading.empty());
  ASSERT_EQ(loading.back().status, "loading_model");
  daemon.send_signal(SIGTERM);
  auto rest = names(events_until(admin, "draining"));
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back(), "draining");
  EXPECT_EQ(std::find(rest.begin(), rest.end(), "ready"), rest.end());
  EXPECT_FALSE(std::filesystem::exists(daemon.infer_path()));
  EXPECT_EQ(daemon.wait_exit(), 0) << daemon.log();
}

TEST(ServeLifecycle, AfterTheDrainTimeoutRunningRequestsAreCancelled) {
  DaemonProcess::Options options;
  options.args = {"--backend", "stub", "--drain-timeout", "0.2"};
  options.env["WEFT_STUB_DELAY_MS"] = "1000";
  DaemonProcess daemon(options);
  auto client = daemon.connect();
  auto frames = client.generate(user_request("too-long", "hi", 1000));
  ASSERT_EQ(frames.next()->type, client::Frame::Type::token);
  daemon.send_signal(SIGTERM);
  client::Frame terminal;
  while (auto frame = frames.next()) terminal = *frame;
  EXPECT_EQ(terminal.type, client::Frame::Type::done) << terminal.raw;
  EXPECT_EQ(terminal.stop_reason, "cancelled");
  EXPECT_EQ(daemon.wait_exit(), 0) << daemon.log();
}

TEST(ServeLifecycle, ReadsAConfigFileAndRefusesABadOne) {
  TempDir dir;
  uint16_t port = free_tcp_port();
  std::string good = dir.path() + "/good.json";
  std::ofstream(good) << R"({"backend": "stub", "tcp": "127.0.0.1:)" << port
                      << R"(", "api_key": "from-file"})";
  DaemonProcess::Options options;
  options.args = {"--config", good};
  DaemonProcess daemon(options);
  auto client =
      client::dial_and_wait_ready(client::Address::tcp("127.0.0.1", port), kPatience, "from-file");
  auto frames = client.generate(user_request("configured", "hi", 1));
  EXPECT_EQ(collect_frames(frames).terminal.type, client::Frame::Type::done);

  std::string bad = dir.path() + "/bad.json";
  std::ofstream(bad) << R"({"backend": "stub", "parallel": "eight"})";
  DaemonProcess::Options bad_options;
  bad_options.args = {"--config", bad};
  DaemonProcess refused(bad_options);
  EXPECT_EQ(refused.wait_exit(), 1);
  EXPECT_NE(refused.log().find("'parallel'"), std::string::npos) << refused.log();
}

TEST(ServeLifecycle, SighupReloadsTheModel) {
  DaemonProcess::Options options;
  // The reload's load takes long enough to look at the runtime directory meanwhile.
  options.env["WEFT_STUB_LOAD_DELAY_MS"] = "1500";
  DaemonProcess daemon(options);
  daemon.connect().close();
  auto admin = daemon.admin();
  events_until(admin, "ready");  // the snapshot
  daemon.send_signal(SIGHUP);
  auto restarting = events_until(admin, "restarting");
  ASSERT_FALSE(restarting.empty());
  ASSERT_EQ(restarting.back().status, "restarting");
  // The inference socket is removed before the new load begins.
  auto loading = events_until(admin, "loading_model");
  ASSERT_FALSE(loading.empty());
  EXPECT_FALSE(std::filesystem::exists(daemon.infer_path()));
  auto events = names(events_until(admin, "ready"));
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2], "capabilities");
  EXPECT_TRUE(std::filesystem::exists(daemon.infer_path()));
  auto client = daemon.connect();
  auto frames = client.generate(user_request("after-reload", "hi", 2));
  EXPECT_EQ(collect_frames(frames).terminal.type, client::Frame::Type::done);
  EXPECT_TRUE(daemon.wait_for_log_line({"reloading"}));
}

TEST(ServeLifecycle, AFailedReloadKeepsTheOldBackend) {
  TempDir dir;
  const std::string config = dir.path() + "/serve.json";
  std::ofstream(config) << R"({"backend": "stub"})";
  DaemonProcess::Options options;
  options.args = {"--config", config};
  DaemonProcess daemon(options);
  daemon.connect().close();
  auto admin = daemon.admin();
  events_until(admin, "ready");
  // The reload reads the edited file: a native backend on a model that does not exist.
  std::ofstream(config) << R"({"backend": "native", "model": ")" << dir.path()
                        << R"(/missing.gguf"})";
  daemon.send_signal(SIGHUP);
  auto events = names(events_until(admin, "ready"));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front(), "restarting");
  EXPECT_TRUE(daemon.wait_for_log_line({"reload failed", "keeping the loaded model"}));
  auto client = daemon.connect();
  auto request = user_request("after-failed-reload", "hi", 3);
  auto frames = client.generate(request);
  auto collected = collect_frames(frames);
  ASSERT_EQ(collected.terminal.type, client::Frame::Type::done) << collected.terminal.raw;
  EXPECT_EQ(collected.terminal.backend, "stub");
  EXPECT_EQ(collected.terminal.content, stub_answer(request));
}

TEST(ServeLifecycle, ASecondDaemonOnTheSamePathsRefuses) {
  DaemonProcess first;
  first.connect().close();
  DaemonProcess::Options options;
  options.xdg_runtime_dir = std::filesystem::path(first.runtime_dir()).parent_path().string();
  DaemonProcess second(options);
  EXPECT_EQ(second.wait_exit(), 1);
  EXPECT_NE(second.log().find("another weft daemon"), std::string::npos) << second.log();
  // The first one is unharmed.
  auto client = first.connect();
  auto frames = client.generate(user_request("still-here", "hi", 1));
  EXPECT_EQ(collect_frames(frames).terminal.type, client::Frame::Type::done);
}

TEST(ServeLifecycle, SocketFilesHaveTheSpecsModes) {
  DaemonProcess daemon;
  daemon.connect().close();
  EXPECT_EQ(file_mode(daemon.infer_path()), 0660u);
  EXPECT_EQ(file_mode(daemon.admin_path()), 0600u);
  EXPECT_TRUE(S_ISSOCK(([&] {
    struct stat info {};
    ::lstat(daemon.infer_path().c_str(), &info);
    return info.st_mode;
  })()));
}

TEST(ServeLifecycle, RefusesASymlinkedSocketPath) {
  TempDir xdg;
  std::filesystem::create_directory(xdg.path() + "/weft");
  std::filesystem::create_symlink(xdg.path() + "/elsewhere", xdg.path() + "/weft/admin.sock");
  DaemonProcess::Options options;
  options.xdg_runtime_dir = xdg.path();
  DaemonProcess daemon(options);
  EXPECT_EQ(daemon.wait_exit(), 1);
  EXPECT_NE(daemon.log().find("symlink"), std::string::npos) << daemon.log();
}

TEST(ServeLifecycle, RefusesASymlinkedInferenceSocketPath) {
  TempDir xdg;
  std::filesystem::create_directory(xdg.path() + "/weft");
  std::filesystem::create_symlink(xdg.path() + "/elsewhere", xdg.path() + "/weft/infer.sock");
  DaemonProcess::Options options;
  options.xdg_runtime_dir = xdg.path();
  DaemonProcess daemon(options);
  EXPECT_EQ(daemon.wait_exit(), 1);
  EXPECT_NE(daemon.log().find("symlink"), std::string::npos) << daemon.log();
  EXPECT_NE(daemon.log().find("infer.sock"), std::string::npos) << daemon.log();
  // The link is left alone and nothing was created where it points.
  EXPECT_TRUE(std::filesystem::is_symlink(xdg.path() + "/weft/infer.sock"));
  EXPECT_FALSE(std::filesystem::exists(xdg.path() + "/elsewhere"));
}

TEST(ServeLifecycle, RemovesAStaleSocket) {
  TempDir xdg;
  std::filesystem::create_directory(xdg.path() + "/weft");
  std::string stale = xdg.path() + "/weft/infer.sock";
  {  // a socket file left behind by a daemon that died
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, stale.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ::close(fd);
  }
  DaemonProcess::Options options;
  options.xdg_runtime_dir = xdg.path();
  DaemonProcess daemon(options);
  auto client = daemon.connect();
  auto frames = client.generate(user_request("fresh", "hi", 1));
  EXPECT_EQ(collect_frames(frames).terminal.type, client::Frame::Type::done);
}

TEST(ServeLifecycle, NonLoopbackTcpNeedsTheExtraFlag) {
  DaemonProcess::Options options;
  options.args = {"--backend", "stub", "--tcp", "0.0.0.0:" + std::to_string(free_tcp_port())};
  DaemonProcess daemon(options);
  EXPECT_EQ(daemon.wait_exit(), 1);
  EXPECT_NE(daemon.log().find("--allow-non-loopback"), std::string::npos) << daemon.log();
}

}  // namespace
}  // namespace weft::testing
