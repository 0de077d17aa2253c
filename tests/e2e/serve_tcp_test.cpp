// weft serve end to end over loopback TCP, with and without the API key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "client/connection.hpp"
#include "server/asio.hpp"
#include "support/daemon_process.hpp"
#include "support/frames.hpp"
#include "weft/error.hpp"

namespace weft::testing {
namespace {

struct TcpDaemon {
  uint16_t port = free_tcp_port();
  DaemonProcess daemon;
  explicit TcpDaemon(std::vector<std::string> extra)
      : daemon([&] {
          DaemonProcess::Options options;
          options.args = {"--backend", "stub", "--tcp", "127.0.0.1:" + std::to_string(port)};
          options.args.insert(options.args.end(), extra.begin(), extra.end());
          return options;
        }()) {}
  client::Address address() const { return client::Address::tcp("127.0.0.1", port); }
};

TEST(ServeTcp, ServesWithoutAKeyWhenNoneIsConfigured) {
  TcpDaemon tcp({});
  auto client = client::dial_and_wait_ready(tcp.address(), kPatience);
  auto request = user_request("tcp", "hi", 3);
  auto frames = client.generate(request);
  auto collected = collect_frames(frames);
  EXPECT_EQ(collected.terminal.content, stub_answer(request));
}

TEST(ServeTcp, TheRightKeyIsAcceptedWithoutAcknowledgement) {
  TcpDaemon tcp({"--api-key", "correct horse"});
  auto client = client::dial_and_wait_ready(tcp.address(), kPatience, "correct horse");
  auto request = user_request("keyed", "hi", 3);
  auto frames = client.generate(request);
  auto collected = collect_frames(frames);
  // The first frame after auth belongs to the request: no ack was sent.
  ASSERT_FALSE(collected.tokens.empty());
  EXPECT_EQ(collected.tokens.front().id, "keyed");
  EXPECT_EQ(collected.terminal.content, stub_answer(request));
}

TEST(ServeTcp, AWrongOrMissingKeyClosesWithoutAFrame) {
  TcpDaemon tcp({"--api-key", "correct horse"});
  client::dial_and_wait_ready(tcp.address(), kPatience, "correct horse").close();
  auto request_line =
      std::string(R"({"id":"x","messages":[{"role":"user","content":"hi"}]})") + "\n";
  for (std::string first_line :
       {std::string(R"({"type":"auth","key":"wrong horse"})") + "\n",
        std::string(R"({"type":"auth","key":"correct horsE"})") + "\n",
        std::string(R"({"type":"auth"})") + "\n", request_line, std::string("garbage\n")}) {
    auto connection = client::Connection::open(tcp.address());
    connection->write_all(first_line);
    try {
      connection->write_all(request_line);
    } catch (const weft::Error&) {
      // Already closed by the daemon: fine.
    }
    auto line = connection->read_line(std::chrono::milliseconds(kPatience));
    EXPECT_FALSE(line.has_value()) << first_line << " got " << *line;
    EXPECT_FALSE(connection->timed_out()) << first_line;
  }
}

// Reads until the daemon closes `connection`; fails if it is still open after kPatience.
void expect_closed_by_the_daemon(client::Connection& connection, const std::string& what) {
  auto line = connection.read_line(std::chrono::milliseconds(kPatience));
  EXPECT_FALSE(line.has_value()) << what << " got " << *line;
  EXPECT_FALSE(connection.timed_out()) << what << " is still open";
}

TEST(ServeTcp, WithAKeyConnectionsWithoutACompleteFirstLineAreClosedAfterTheAuthTimeout) {
  TcpDaemon tcp({"--auth-timeout", "0.3", "--api-key", "k"});
  client::dial_and_wait_ready(tcp.address(), kPatience, "k").close();
  auto silent = client::Connection::open(tcp.address());
  auto trickling = client::Connection::open(tcp.address());
  trickling->write_all(R"({"type":"auth","ke)");
  expect_closed_by_the_daemon(*silent, "a silent connection");
  expect_closed_by_the_daemon(*trickling, "a connection that never ends its first line");
  EXPECT_TRUE(tcp.daemon.wait_for_log_line({"sent no complete first line"}));
}

// inferd clients may dial ahead of time; without a key nothing limits the first line.
TEST(ServeTcp, WithoutAKeyAnEarlyDialerIsServedAfterTheAuthTimeout) {
  TcpDaemon tcp({"--auth-timeout", "0.2"});
  client::dial_and_wait_ready(tcp.address(), kPatience).close();
  auto silent = client::Connection::open(tcp.address());
  auto trickling = client::Connection::open(tcp.address());
  const std::string request_line =
      R"({"id":"early","messages":[{"role":"user","content":"hi"}],"max_tokens":2})";
  trickling->write_all(request_line.substr(0, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // five auth timeouts
  silent->write_all(request_line + "\n");
  trickling->write_all(request_line.substr(10) + "\n");
  for (auto* connection : {silent.get(), trickling.get()}) {
    std::optional<std::string> last;
    while (auto line = connection->read_line(std::chrono::milliseconds(kPatience))) {
      last = line;
      if (line->find(R"("type":"done")") != std::string::npos) break;
    }
    ASSERT_TRUE(last.has_value()) << "closed without an answer";
    EXPECT_NE(last->find(R"("type":"done")"), std::string::npos) << *last;
    EXPECT_NE(last->find(R"("id":"early")"), std::string::npos) << *last;
  }
  EXPECT_EQ(tcp.daemon.log().find("sent no complete first line"), std::string::npos)
      << tcp.daemon.log();
}

TEST(ServeTcp, TheAuthTimeoutDoesNotApplyAfterTheFirstLine) {
  TcpDaemon tcp({"--api-key", "k", "--auth-timeout", "0.2"});
  auto client = client::dial_and_wait_ready(tcp.address(), kPatience, "k");
  // Idle for several timeouts after authenticating: still served.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto request = user_request("late", "hi", 2);
  auto frames = client.generate(request);
  auto collected = collect_frames(frames);
  EXPECT_EQ(collected.terminal.type, client::Frame::Type::done);
  EXPECT_EQ(collected.terminal.content, stub_answer(request));
}

// The port is checked before the model loads: a taken port fails at once, not after a load.
TEST(ServeTcp, APortInUseFailsBeforeTheModelLoads) {
  asio::io_context io;
  asio::ip::tcp::acceptor taken(io,
                                asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = taken.local_endpoint().port();
  DaemonProcess::Options options;
  options.args = {"--backend", "stub", "--tcp", "127.0.0.1:" + std::to_string(port)};
  options.env["WEFT_STUB_LOAD_DELAY_MS"] = "60000";
  DaemonProcess daemon(options);
  // Well before the minute that the load would take.
  EXPECT_EQ(daemon.wait_exit(std::chrono::seconds(20)), 1) << daemon.log();
  EXPECT_NE(daemon.log().find("cannot listen on TCP 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << daemon.log();
  EXPECT_FALSE(std::filesystem::exists(daemon.admin_path()));
}

TEST(ServeTcp, UnixClientsSkipAuthEvenWithAKey) {
  TcpDaemon tcp({"--api-key", "k"});
  auto client = tcp.daemon.connect();
  auto frames = client.generate(user_request("unix", "hi", 1));
  EXPECT_EQ(collect_frames(frames).terminal.type, client::Frame::Type::done);
}

// Issue 19: `--api-key ""` silently turned authentication off, even over a config file's key.
TEST(ServeTcp, AnEmptyApiKeyIsRefusedAtStart) {
  TempDir runtime;
  auto result = run_weft({"serve", "--backend", "stub", "--tcp",
                          "127.0.0.1:" + std::to_string(free_tcp_port()), "--api-key", ""},
                         {{"XDG_RUNTIME_DIR", runtime.path()}});
  EXPECT_NE(result.status, 0);
  EXPECT_NE(result.errors.find("api_key is empty"), std::string::npos) << result.errors;
}

TEST(ServeTcp, AKeyGivenTwiceIsWarnedAboutNamingTheOneThatWins) {
  TempDir directory;
  const std::string config = directory.path() + "/weft.json";
  std::ofstream(config) << R"({"api_key": "from-the-file"})";
  TcpDaemon tcp({"--config", config, "--api-key", "from-the-flag"});
  EXPECT_TRUE(tcp.daemon.wait_for_log_line(
      {"the API key is given by the config file " + config, "the command line (api_key) wins"}));
  // And the flag's key is the one in force.
  auto client = client::dial_and_wait_ready(tcp.address(), kPatience, "from-the-flag");
  auto request = user_request("flag-key", "hi", 2);
  auto frames = client.generate(request);
  EXPECT_EQ(collect_frames(frames).terminal.content, stub_answer(request));
}

}  // namespace
}  // namespace weft::testing
