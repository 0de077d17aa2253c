// A disconnect storm on the native backend with the bundled model: clients that vanish right
// after sending, after their first token, or half-way through their request line. Once the
// daemon has noticed, no KV page may stay held (the prefix cache is off, so "held" means
// leaked) and the daemon must still serve.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "reliability/fault_daemons.hpp"
#include "support/frames.hpp"
#include "support/raw_socket.hpp"

namespace weft::testing {
namespace {

constexpr int kClients = 48;

// Sends one long request and vanishes: client k leaves at one of three points.
void connect_and_vanish(const std::string& path, int k) {
  auto socket = RawSocket::unix_socket(path);
  const std::string line = request_line(std::string("storm-").append(std::to_string(k)),
                                        "Once upon a time there was a little dog", 400);
  switch (k % 3) {
    case 0:  // right after the request
      socket.send_all(line);
      break;
    case 1: {  // after the first frame
      socket.send_all(line);
      char byte = 0;
      ::recv(socket.fd(), &byte, 1, 0);
      break;
    }
    default:  // half-way through the request line
      socket.send_all(line.substr(0, line.size() / 2));
      break;
  }
}

TEST(ServeDisconnectStorm, EveryKvPageIsFreeAgainAfterTheClientsVanish) {
  DaemonProcess daemon(native_daemon({"--ctx", "512", "--parallel", "4", "--queue", "128",
                                      "--no-prefix-cache", "--log-level", "warn"}));
  daemon.connect().close();  // ready
  std::vector<std::thread> clients;
  for (int k = 0; k < kClients; ++k) {
    clients.emplace_back([&daemon, k] { connect_and_vanish(daemon.infer_path(), k); });
  }
  for (auto& client : clients) client.join();

  // The storm is over once nothing runs or waits; then every page must be back.
  auto admin = daemon.admin();
  std::optional<client::AdminEvent> idle;
  while (auto event = admin.next_for(std::chrono::milliseconds(kPatience))) {
    if (event->is_stats() && event->kv && event->active_requests == 0u &&
        event->queued_requests == 0u && event->kv->live == 0 && event->kv->waiting == 0) {
      idle = event;
      break;
    }
  }
  ASSERT_TRUE(idle.has_value()) << "the daemon never went idle: " << daemon.log().substr(0, 4000);
  EXPECT_EQ(idle->kv->pages_in_use, 0u) << idle->raw;
  EXPECT_EQ(idle->kv->pages_committed, 0u) << idle->raw;
  EXPECT_GT(idle->kv->pages_capacity, 0u) << idle->raw;

  // And it still serves, a whole answer.
  auto client = daemon.connect();
  auto request = user_request("after-storm", "Once upon a time", 8);
  request.options.temperature = 0.0f;
  auto frames = client.generate(request);
  auto collected = collect_frames(frames);
  EXPECT_EQ(collected.terminal.type, client::Frame::Type::done) << collected.terminal.raw;
  EXPECT_EQ(collected.tokens.size(), 8u) << collected.terminal.raw;
}

}  // namespace
}  // namespace weft::testing
