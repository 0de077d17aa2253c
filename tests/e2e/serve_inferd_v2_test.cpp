// weft serve's inferd v2 surfaces end to end, driven by tests/e2e/inferd_v2_client.py: a v2
// client written for these tests from inferd's spec (docs/protocol-v2.md), not from weft's
// code. The stub backend covers framing, conformance vectors, streaming and cancel; the
// native backend with stories260K covers tool calls (Llama 3.1's template, with
// response_format pinning the tiny model's answer to a call) and embeddings.
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/bundled_model.hpp"
#include "support/daemon_process.hpp"

namespace weft::testing {
namespace {

const std::string kClient = std::string(WEFT_SOURCE_DIR) + "/tests/e2e/inferd_v2_client.py";
const std::string kVectors =
    std::string(WEFT_SOURCE_DIR) + "/tests/protocol/data/inferd_v2_vectors.json";
const std::string kLlama31Template =
    std::string(WEFT_SHARED_DIR) + "/models/chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja";

// Its generation prompt ends inside <think>: the output starts as reasoning.
const std::string kDeepSeekR1Template =
    std::string(WEFT_SHARED_DIR) +
    "/models/chat-templates/deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja";

struct ClientRun {
  int status = -1;
  std::string output;
};

// Runs the spec client; its stderr says which check failed.
ClientRun run_client(const std::string& check, const std::string& socket_dir) {
  const std::string command =
      "python3 '" + kClient + "' " + check + " '" + socket_dir + "' '" + kVectors + "' 2>&1";
  ClientRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> buffer{};
  size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    run.output.append(buffer.data(), got);
  run.status = ::pclose(pipe);
  return run;
}

// The XDG_RUNTIME_DIR the daemon was given: its inferd directory is under it.
std::string inferd_dir(const DaemonProcess& daemon) {
  // std::filesystem, not string +: GCC 12 warns falsely (-Wrestrict) on the concatenation.
  return (std::filesystem::path(daemon.runtime_dir()).parent_path() / "inferd").string();
}

DaemonProcess::Options compat_stub(int delay_ms, std::vector<std::string> extra = {}) {
  DaemonProcess::Options options;
  options.args = {"--backend", "stub", "--inferd-compat"};
  options.args.insert(options.args.end(), extra.begin(), extra.end());
  options.env["WEFT_STUB_DELAY_MS"] = std::to_string(delay_ms);
  return options;
}

DaemonProcess::Options compat_native(std::vector<std::string> extra = {}) {
  DaemonProcess::Options options;
  // stories260K stores a context of 128; Llama 3.1's template with a tool needs ~830.
  options.args = {"--backend", "native", "--model",        test::bundled_model_file(),
                  "--ctx",     "2048",   "--inferd-compat"};
  options.args.insert(options.args.end(), extra.begin(), extra.end());
  return options;
}

void expect_client_passes(const std::string& check, const std::string& dir,
                          const DaemonProcess& daemon) {
  ClientRun run = run_client(check, dir);
  EXPECT_EQ(run.status, 0) << run.output << "\n--- daemon log ---\n" << daemon.log();
}

TEST(ServeInferdV2, ConformanceVectorsOnTheInferdLayout) {
  DaemonProcess daemon(compat_stub(0));
  const std::string dir = inferd_dir(daemon);
  expect_client_passes("conformance", dir, daemon);
  expect_client_passes("no-embed", dir, daemon);  // the stub computes no embeddings
  // inferd's names for every surface, with inferd's lock; nothing under weft's directory.
  struct stat info {};
  EXPECT_EQ(::stat((dir + "/infer.sock").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0660u);
  EXPECT_EQ(::stat((dir + "/admin.sock").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(::stat((dir + "/inferd.sock").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0660u);
  EXPECT_EQ(::stat((dir + "/inferd.lock").c_str(), &info), 0);
  EXPECT_NE(::stat(daemon.runtime_dir().c_str(), &info), 0);
}

// docs/serve.md's client example, run as written against a daemon under the inferd layout.
TEST(ServeInferdV2, TheServeDocsClientExampleWorks) {
  std::ifstream in(std::string(WEFT_SOURCE_DIR) + "/docs/serve.md");
  std::stringstream docs;
  docs << in.rdbuf();
  const std::string text = docs.str();
  const size_t section = text.find("### inferd compatibility");
  const size_t begin = text.find("```python\n", section);
  ASSERT_NE(begin, std::string::npos) << "no python example in docs/serve.md";
  const size_t body = begin + std::string("```python\n").size();
  const size_t end = text.find("```\n", body);
  ASSERT_NE(end, std::string::npos);

  DaemonProcess daemon(compat_stub(0));
  expect_client_passes("no-embed", inferd_dir(daemon), daemon);  // waits until ready
  const std::string xdg = std::filesystem::path(inferd_dir(daemon)).parent_path().string();
  const std::string script = (std::filesystem::path(xdg) / "example.py").string();
  std::ofstream(script) << text.substr(body, end - body);
  FILE* pipe =
      ::popen(("XDG_RUNTIME_DIR='" + xdg + "' python3 '" + script + "' 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> buffer{};
  size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), got);
  EXPECT_EQ(::pclose(pipe), 0) << output;
  // The stub's canned answer streamed, then the terminal frame printed as a dict.
  EXPECT_NE(output.find("stub backend"), std::string::npos) << output;
  EXPECT_NE(output.find("'type': 'done'"), std::string::npos) << output;
}

TEST(ServeInferdV2, TheV2SocketIsBesideV1InWeftsOwnLayout) {
  DaemonProcess::Options options;
  options.env["WEFT_STUB_DELAY_MS"] = std::to_string(0);
  DaemonProcess daemon(options);
  expect_client_passes("conformance", daemon.runtime_dir(), daemon);
}

TEST(ServeInferdV2, StreamsAndCancels) {
  DaemonProcess daemon(compat_stub(200, {"--parallel", "1"}));
  expect_client_passes("stream", inferd_dir(daemon), daemon);
  expect_client_passes("cancel", inferd_dir(daemon), daemon);
}

// Issue 19's write deadline holds on the v2 socket too: a reader that stops frees its slot.
TEST(ServeInferdV2, AStalledReaderIsClosedAfterTheWriteTimeout) {
  DaemonProcess daemon(compat_stub(0, {"--parallel", "1", "--write-timeout", "1"}));
  expect_client_passes("stalled-reader", inferd_dir(daemon), daemon);
  EXPECT_TRUE(daemon.wait_for_log_line({"read nothing for 1000 ms (the write timeout)"},
                                       std::chrono::seconds(30)));
}

TEST(ServeInferdV2, SharesTheDaemonsAdmission) {
  DaemonProcess daemon(compat_stub(200, {"--parallel", "1", "--queue", "0"}));
  expect_client_passes("queue-full", inferd_dir(daemon), daemon);
}

TEST(ServeInferdV2, ToolCallsComeBackAsToolUseBlocks) {
  DaemonProcess daemon(compat_native({"--chat-template", kLlama31Template}));
  expect_client_passes("tool", inferd_dir(daemon), daemon);
}

TEST(ServeInferdV2, ReasoningComesBackAsThinkingBlocks) {
  DaemonProcess daemon(compat_native({"--chat-template", kDeepSeekR1Template}));
  expect_client_passes("thinking", inferd_dir(daemon), daemon);
}

TEST(ServeInferdV2, EmbedsOnTheEmbeddingsSocket) {
  DaemonProcess daemon(compat_native());
  const std::string dir = inferd_dir(daemon);
  expect_client_passes("embed", dir, daemon);
  expect_client_passes("conformance", dir, daemon);  // capabilities now say embed: true
}

// A real inferd holds inferd.lock with flock, as weft does: this process plays it.
TEST(ServeInferdV2, RefusesTheDirectoryWhileInferdHoldsItsLock) {
  TempDir xdg;
  const std::string dir = (std::filesystem::path(xdg.path()) / "inferd").string();
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  const int lock = ::open((dir + "/inferd.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(lock, 0);
  ASSERT_EQ(::flock(lock, LOCK_EX | LOCK_NB), 0);
  auto options = compat_stub(0);
  options.xdg_runtime_dir = xdg.path();
  DaemonProcess daemon(options);
  auto status = daemon.wait_exit();
  ::close(lock);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 1);
  EXPECT_NE(daemon.log().find("inferd, or weft --inferd-compat"), std::string::npos)
      << daemon.log();
}

// An inferd started with its lock elsewhere still owns the sockets it answers on.
TEST(ServeInferdV2, RefusesALiveSocketInTheInferdDirectory) {
  TempDir xdg;
  const std::string dir = (std::filesystem::path(xdg.path()) / "inferd").string();
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  const std::string path = dir + "/inferd.sock";
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  auto options = compat_stub(0);
  options.xdg_runtime_dir = xdg.path();
  DaemonProcess daemon(options);
  auto status = daemon.wait_exit();
  ::close(listener);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 1);
  EXPECT_NE(daemon.log().find("a running daemon answers on " + path), std::string::npos)
      << daemon.log();
}

}  // namespace
}  // namespace weft::testing
