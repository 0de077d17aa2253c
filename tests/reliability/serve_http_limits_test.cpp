// The HTTP surfaces' limits (docs/reliability.md): a streaming reader that stops reading is
// cut off after --write-timeout (it was a fixed 30 s), which frees its generation slot.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "reliability/fault_daemons.hpp"
#include "support/process_stats.hpp"
#include "support/raw_socket.hpp"

namespace weft::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

bool wait_for_health(uint16_t port) {
  const auto deadline = Clock::now() + kPatience;
  while (Clock::now() < deadline) {
    httplib::Client client("127.0.0.1", port);
    auto result = client.Get("/health");
    if (result && result->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(ServeHttpLimits, AStalledStreamingReaderIsClosedAtTheWriteTimeoutAndItsSlotFreed) {
  const uint16_t port = free_tcp_port();
  DaemonProcess daemon(stub_daemon({"--http", "127.0.0.1:" + std::to_string(port), "--parallel",
                                    "1", "--queue", "4", "--write-timeout", "1"}));
  ASSERT_TRUE(wait_for_health(port)) << daemon.log();
  // A completion stream that echoes a 6 MiB prompt first: more than the socket buffers hold
  // (4 MiB of send buffer at most, ~128 KiB of receive buffer while nobody reads), so the
  // daemon's write waits while this client holds the only generation slot.
  const std::string body = json{
      {"model", "stub"},
      {"prompt", std::string(6 * kMiB, 'p')},
      {"echo", true},
      {"stream", true},
      {"max_tokens", 4}}.dump();
  auto stalled = RawSocket::tcp_loopback(port);
  stalled.send_all(
      "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  // The response's head: the stream has its slot (taken before the head is written), and the
  // echo's 6 MiB chunk is being written. Reading these few bytes leaves the rest stalled.
  EXPECT_EQ(stalled.read_some(15), "HTTP/1.1 200 OK");

  const auto asked = Clock::now();
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(kPatience);
  auto answer = client.Post("/v1/chat/completions",
                            json{{"model", "stub"},
                                 {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                                 {"max_tokens", 3}}
                                .dump(),
                            "application/json");
  const auto waited = Clock::now() - asked;
  ASSERT_TRUE(answer) << httplib::to_string(answer.error());
  EXPECT_EQ(answer->status, 200) << answer->body;
  RecordProperty(
      "next_client_waited_ms",
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()));
  // The write timeout is 1 s; the fixed 30 s it replaced would hold the slot past this bound.
  EXPECT_LT(waited, std::chrono::seconds(20))
      << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms";
  EXPECT_TRUE(stalled.closed_by_peer(std::chrono::seconds(30)));
}

}  // namespace
}  // namespace weft::testing
