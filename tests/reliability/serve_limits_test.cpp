// weft serve's per-connection limits (docs/serve.md#limits), against a real daemon: a client
// that never reads, an unauthenticated peer that sends a flood, idle connections. Memory is
// measured on the daemon process (/proc/PID/status), with generous margins.
#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/connection.hpp"
#include "reliability/fault_daemons.hpp"
#include "support/frames.hpp"
#include "support/process_stats.hpp"
#include "support/raw_socket.hpp"
#include "weft/error.hpp"

namespace weft::testing {
namespace {

using nlohmann::json;

// Issue 19: 9 MB of `{}\n` grew the daemon by ~552 MB, because error frames were queued
// without any limit. Now every frame counts against the 4 MiB output budget.

TEST(ServeLimits, AClientThatNeverReadsItsErrorsIsDisconnectedAtTheOutputBudget) {
  DaemonProcess daemon(stub_daemon({"--log-level", "warn"}, small_asan_quarantine()));
  daemon.connect().close();  // ready
  const int64_t peak_before = status_bytes(daemon.pid(), "VmHWM");
  auto flooder = RawSocket::unix_socket(daemon.infer_path());
  // Each 3-byte line gets a ~90-byte invalid_request frame: 8 MiB in asks for ~250 MB out.
  auto flood = flooder.flood("{}\n", 8 * kMiB, std::chrono::seconds(30));
  EXPECT_TRUE(disconnected(flood.error))
      << "sent " << flood.sent << " bytes, error " << std::strerror(flood.error);
  EXPECT_LT(flood.sent, 8 * kMiB);
  EXPECT_TRUE(daemon.wait_for_log_line({"does not read its answers"}));
  const int64_t growth = status_bytes(daemon.pid(), "VmHWM") - peak_before;
  RecordProperty("peak_rss_growth_bytes", std::to_string(growth));
  // Measured +16 MB; the bound leaves room for a sanitizer's allocator (before the fix: +545 MB).
  EXPECT_LT(growth, 128 * kMiB) << "the daemon's peak RSS grew by " << growth << " bytes";
  // The daemon still serves others.
  auto client = daemon.connect();
  auto request = user_request("after", "hi", 3);
  auto frames = client.generate(request);
  EXPECT_EQ(collect_frames(frames).terminal.content, stub_answer(request));
}

// Issue 19: four unauthenticated peers could each buffer up to 64 MiB until the auth timeout.
TEST(ServeLimits, AnUnauthenticatedPeerMaySendOnlyAnAuthLine) {
  const uint16_t port = free_tcp_port();
  DaemonProcess daemon(stub_daemon(
      {"--tcp", "127.0.0.1:" + std::to_string(port), "--api-key", "k", "--auth-timeout", "600"}));
  client::dial_and_wait_ready(client::Address::tcp("127.0.0.1", port), kPatience, "k").close();
  const int64_t peak_before = status_bytes(daemon.pid(), "VmHWM");
  std::vector<std::thread> peers;
  std::vector<RawSocket::Flood> floods(4);
  for (auto& flood : floods) {
    peers.emplace_back([&flood, port] {
      auto peer = RawSocket::tcp_loopback(port);
      flood = peer.flood(R"({"type":"auth","key":")", 16 * kMiB, std::chrono::seconds(30));
    });
  }
  for (auto& peer : peers) peer.join();
  for (const auto& flood : floods) {
    EXPECT_TRUE(disconnected(flood.error))
        << "sent " << flood.sent << " bytes, error " << std::strerror(flood.error);
    EXPECT_LT(flood.sent, 16 * kMiB);
  }
  EXPECT_TRUE(daemon.wait_for_log_line({"auth line passed 8192 bytes"}));
  const int64_t growth = status_bytes(daemon.pid(), "VmHWM") - peak_before;
  RecordProperty("peak_rss_growth_bytes", std::to_string(growth));
  // Measured +64 KB (before the fix: +85 MB).
  EXPECT_LT(growth, 32 * kMiB) << "the daemon's peak RSS grew by " << growth << " bytes";
  // An auth line of ordinary size still authenticates, and a request after it may be long.
  auto client =
      client::dial_and_wait_ready(client::Address::tcp("127.0.0.1", port), kPatience, "k");
  auto request = user_request("after", std::string(100'000, 'w'), 3);
  auto frames = client.generate(request);
  EXPECT_EQ(collect_frames(frames).terminal.content, stub_answer(request));
}

// Issue 19: stopped clients held generation slots for ever. Each token frame here carries a
// 256 KiB id, so a reader that stops fills the socket and the 1 MiB outbox at once and its
// generation waits; with --parallel 1 nobody else would be served.
TEST(ServeLimits, AConnectionThatStopsReadingIsClosedAfterTheWriteTimeout) {
  DaemonProcess daemon(stub_daemon({"--parallel", "1", "--queue", "4", "--write-timeout", "1"},
                                   {{"WEFT_STUB_DELAY_MS", "0"}}));
  daemon.connect().close();  // ready
  auto stalled = RawSocket::unix_socket(daemon.infer_path());
  json request = {{"id", std::string(256 * 1024, 'i')},
                  {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                  {"max_tokens", 1000}};
  stalled.send_all(request.dump() + "\n");
  ASSERT_TRUE(daemon.wait_for_log_line({"read nothing for 1000 ms (the write timeout)"},
                                       std::chrono::seconds(30)))
      << daemon.log().substr(0, 4000);
  // Its slot is free again: the next request is served.
  auto client = daemon.connect();
  auto next = user_request("next", "hi", 3);
  auto frames = client.generate(next);
  EXPECT_EQ(collect_frames(frames).terminal.content, stub_answer(next));
  EXPECT_TRUE(stalled.closed_by_peer(std::chrono::seconds(30)));
}

// Issue 19: with a stalled reader, a drain asked to take 2 s took 9.1 s (its generation
// waited for the reader through two more fixed waits). Now the reader is cut off one second
// (the cancel grace) after the drain timeout.
TEST(ServeLimits, ADrainEndsSoonAfterItsTimeoutDespiteAStalledReader) {
  DaemonProcess daemon(stub_daemon({"--drain-timeout", "1", "--write-timeout", "600"},
                                   {{"WEFT_STUB_DELAY_MS", "0"}}));
  daemon.connect().close();  // ready
  auto stalled = RawSocket::unix_socket(daemon.infer_path());
  json request = {{"id", std::string(256 * 1024, 'd')},
                  {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                  {"max_tokens", 1000}};
  stalled.send_all(request.dump() + "\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // its output backs up
  const auto signalled = std::chrono::steady_clock::now();
  daemon.send_signal(SIGTERM);
  ASSERT_EQ(daemon.wait_exit(), 0);
  const auto took = std::chrono::steady_clock::now() - signalled;
  RecordProperty(
      "drain_ms",
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  // 1 s of drain timeout and 1 s of grace; before the fix 8 s.
  EXPECT_LT(took, std::chrono::seconds(5))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

// A reader that is slow but keeps reading is never cut off by the write timeout.
TEST(ServeLimits, ASlowReaderThatKeepsReadingIsServedWhole) {
  DaemonProcess daemon(stub_daemon({"--write-timeout", "1"}, {{"WEFT_STUB_DELAY_MS", "0"}}));
  daemon.connect().close();  // ready
  auto connection = client::Connection::open(daemon.infer_address());
  json request = {{"id", std::string(256 * 1024, 's')},
                  {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                  {"max_tokens", 1000}};
  connection->write_all(request.dump() + "\n");
  int frames = 0;
  while (auto line = connection->read_line(std::chrono::milliseconds(kPatience))) {
    ++frames;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // 10 frames per timeout
    if (line->find(R"("type":"done")") != std::string::npos) break;
    ASSERT_EQ(line->find(R"("type":"error")"), std::string::npos) << line->substr(0, 300);
  }
  EXPECT_GT(frames, 10);
  EXPECT_EQ(daemon.log().find("the write timeout"), std::string::npos);
}

// Issue 19: each idle connection cost a 64 KiB read buffer (15,000 idle: 1.0 GB).
TEST(ServeLimits, IdleConnectionsCostAFewKilobytesEach) {
  DaemonProcess daemon(stub_daemon({"--log-level", "warn"}));
  auto serve_one = [&daemon](const std::string& id) {
    auto client = daemon.connect();
    auto request = user_request(id, "hi", 3);
    auto frames = client.generate(request);
    EXPECT_EQ(collect_frames(frames).terminal.content, stub_answer(request));
  };
  // The first generation starts worker threads (stacks, malloc arenas): not a connection's.
  serve_one("warm-up");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  constexpr int kIdle = 400;
  const int64_t before = status_bytes(daemon.pid(), "VmRSS");
  std::vector<RawSocket> idle;
  for (int i = 0; i < kIdle; ++i) {
    idle.push_back(RawSocket::unix_socket(daemon.infer_path()));
    idle.back().send_all(R"({"type":"auth","key":"ignored on a Unix socket"})"
                         "\n");
  }
  // A request on a connection opened after all of them: once it is answered, the daemon has
  // accepted and read the idle ones too.
  serve_one("last");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int64_t growth = status_bytes(daemon.pid(), "VmRSS") - before;
  RecordProperty("bytes_per_idle_connection", std::to_string(growth / kIdle));
  // ThreadSanitizer's shadow memory makes every byte a few (measured: 29.8 KB per connection
  // under TSan), and AddressSanitizer keeps freed blocks in quarantine: the sanitizer runs
  // only catch gross regressions, the Release run holds the real bound (before the fix a
  // connection cost 68 KB).
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  constexpr int64_t kBound = 64 * 1024;
#elif defined(__has_feature)
  constexpr int64_t kBound =
      __has_feature(thread_sanitizer) || __has_feature(address_sanitizer) ? 64 * 1024 : 24 * 1024;
#else
  constexpr int64_t kBound = 24 * 1024;
#endif
  EXPECT_LT(growth / kIdle, kBound) << "each idle connection costs " << growth / kIdle << " bytes";
}

// Issue 19 asks for a cap on connections with a clear refusal beyond it.
TEST(ServeLimits, AConnectionPastTheCapGetsQueueFullAndIsClosed) {
  DaemonProcess daemon(stub_daemon({"--max-connections", "3"}));
  daemon.connect().close();  // ready
  // Accepted in order: once the fourth is refused, the first three are counted.
  std::vector<std::shared_ptr<client::Connection>> open;
  for (int i = 0; i < 3; ++i) open.push_back(client::Connection::open(daemon.infer_address()));
  auto refused = client::Connection::open(daemon.infer_address());
  auto line = refused->read_line(std::chrono::milliseconds(kPatience));
  ASSERT_TRUE(line.has_value());
  json frame = json::parse(*line);
  EXPECT_EQ(frame["type"], "error");
  EXPECT_EQ(frame["code"], "queue_full");
  EXPECT_NE(frame["message"].get<std::string>().find("at most 3 connections"), std::string::npos)
      << *line;
  EXPECT_FALSE(refused->read_line(std::chrono::milliseconds(kPatience)).has_value());
  EXPECT_FALSE(refused->timed_out());
  // The three are served, and once one goes its place is free again.
  auto request_line = [](const std::string& id) {
    return json{
               {"id", id}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 2}}
               .dump() +
           "\n";
  };
  open[0]->write_all(request_line("kept"));
  std::optional<std::string> last;
  while (auto answer = open[0]->read_line(std::chrono::milliseconds(kPatience))) {
    last = answer;
    if (answer->find(R"("type":"done")") != std::string::npos) break;
  }
  ASSERT_TRUE(last.has_value());
  EXPECT_NE(last->find(R"("id":"kept")"), std::string::npos) << *last;
  open[2]->close();
  bool served = false;
  for (int attempt = 0; attempt < 200 && !served; ++attempt) {
    try {
      auto later = client::Connection::open(daemon.infer_address());
      later->write_all(request_line("later"));
      auto first = later->read_line(std::chrono::milliseconds(kPatience));
      served = first && first->find(R"("id":"later")") != std::string::npos;
    } catch (const Error&) {
      // Refused and closed while the request was on its way: try again.
    }
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(served);
}

// Issue 19: such a line was taken as an auth line and dropped, leaving the client waiting.
TEST(ServeLimits, AUnixRequestWithTypeAuthGetsExactlyOneTerminalFrame) {
  DaemonProcess daemon(stub_daemon({}));
  daemon.connect().close();  // ready
  auto connection = client::Connection::open(daemon.infer_address());
  connection->write_all(R"({"type":"auth","id":"a1","messages":[{"role":"user","content":"hi"}]})"
                        "\n"
                        R"({"id":"a2","messages":[{"role":"user","content":"hi"}],"max_tokens":2})"
                        "\n");
  std::vector<json> first_frames;
  while (auto line = connection->read_line(std::chrono::milliseconds(kPatience))) {
    json frame = json::parse(*line);
    if (frame["id"] == "a1") first_frames.push_back(frame);
    if (frame["id"] == "a2" && frame["type"] != "token") break;
  }
  ASSERT_EQ(first_frames.size(), 1u);
  EXPECT_EQ(first_frames[0]["type"], "error");
  EXPECT_EQ(first_frames[0]["code"], "invalid_request");
}

}  // namespace
}  // namespace weft::testing
