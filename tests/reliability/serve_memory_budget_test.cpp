// The daemon-wide budget (--max-queued-bytes, docs/reliability.md#the-daemon-wide-budget)
// against a real daemon: stalled readers that each stay within their own connection's limits
// but together pass the daemon's. Not among the sanitizer stages' daemon tests: their shadow
// memory would dwarf the resident-set bound; the budget's locking runs under TSan in
// MemoryBudget.* and in every sanitized daemon test's connections.
#include <gtest/gtest.h>
#include <poll.h>

#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "reliability/fault_daemons.hpp"
#include "support/frames.hpp"
#include "support/process_stats.hpp"
#include "support/raw_socket.hpp"

namespace weft::testing {
namespace {

using nlohmann::json;

constexpr char kEvictionLog[] = "closing the connection holding the most queued bytes";

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Whether the daemon has closed the connection, without reading what it queued for us.
bool hung_up(const RawSocket& socket) {
  pollfd poller{socket.fd(), POLLRDHUP, 0};
  return ::poll(&poller, 1, 0) > 0 && (poller.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

size_t hung_up_count(const std::vector<RawSocket>& sockets) {
  size_t count = 0;
  for (const auto& socket : sockets) count += hung_up(socket) ? 1 : 0;
  return count;
}

// Eight clients each pipeline 16 requests with a 1 MiB id and read nothing. Each one holds
// about 18 MiB: ~2 MiB of token frames (its generation waits at the 1 MiB outbox mark, under
// its own 4 MiB output budget) and 15 requests waiting their turn (well under the 16-request
// read-ahead and the 64 MiB line limit). Together ~144 MiB, against a daemon-wide budget of
// 24 MiB: the daemon must cut off the largest holders, so its memory stays near the budget
// and a client that reads still gets its whole answer. Without the budget nothing would
// close them before the (here 600 s) write timeout.
TEST(ServeMemoryBudget, StalledReadersPastTheDaemonWideBudgetAreCutOffLargestFirst) {
  constexpr int kOffenders = 12;
  constexpr int kRequestsEach = 16;
  DaemonProcess daemon(stub_daemon({"--parallel", "12", "--queue", "16", "--write-timeout", "120",
                                    "--max-queued-bytes", std::to_string(128 * kMiB)},
                                   [] {
                                     auto env = small_asan_quarantine();
                                     env["WEFT_STUB_DELAY_MS"] = "0";
                                     return env;
                                   }()));
  daemon.connect().close();  // ready
  const int64_t peak_before = status_bytes(daemon.pid(), "VmHWM");

  json request = {{"id", std::string(256 << 10, 'q')},
                  {"messages", {{{"role", "user"}, {"content", std::string(4 << 20, 'p')}}}},
                  {"max_tokens", 50}};
  const std::string line = request.dump() + "\n";
  std::vector<RawSocket> offenders;
  for (int i = 0; i < kOffenders; ++i)
    offenders.push_back(RawSocket::unix_socket(daemon.infer_path()));
  std::vector<RawSocket::Flood> floods(kOffenders);
  std::vector<std::thread> senders;
  for (int i = 0; i < kOffenders; ++i) {
    senders.emplace_back([&, i] {
      floods[static_cast<size_t>(i)] = offenders[static_cast<size_t>(i)].flood(
          line, static_cast<int64_t>(line.size()) * kRequestsEach, std::chrono::seconds(20));
    });
  }
  for (auto& sender : senders) sender.join();
  // The senders are done: whatever the daemon cuts off, it has by now (or soon after).
  EXPECT_TRUE(
      daemon.wait_for_log_line({kEvictionLog, "max_queued_bytes"}, std::chrono::seconds(20)))
      << daemon.log().substr(0, 4000);

  // Every cut-off is an offender's connection closing (the well-behaved client comes later).
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  size_t evicted = occurrences(daemon.log(), kEvictionLog);
  while (hung_up_count(offenders) < evicted && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    evicted = occurrences(daemon.log(), kEvictionLog);
  }
  const size_t closed = hung_up_count(offenders);
  RecordProperty("offenders_cut_off", std::to_string(closed));
  EXPECT_GE(closed, 1u);
  EXPECT_EQ(closed, evicted) << daemon.log().substr(0, 4000);
  // 128 MiB holds at most one offender whole with parts of another: most had to go.
  EXPECT_GE(closed, static_cast<size_t>(kOffenders / 2));
  // None of them was cut off by its own limits.
  EXPECT_EQ(occurrences(daemon.log(), "does not read its answers"), 0u);

  // A client that reads is served whole while the remaining offenders still stall.
  const auto asked = std::chrono::steady_clock::now();
  auto client = daemon.connect();
  auto good = user_request("good", "hello there", 20);
  auto frames = client.generate(good);
  EXPECT_EQ(collect_frames(frames).terminal.content, stub_answer(good));
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(60))
      << "the reader waited for a slot the stalled offenders held";

  const int64_t growth = status_bytes(daemon.pid(), "VmHWM") - peak_before;
  RecordProperty("peak_rss_growth_bytes", std::to_string(growth));
  // Measured +290 to +320 MiB (the queued bytes plus parsing and freed-but-kept heap); without the
  // budget +907 MiB.
  EXPECT_LT(growth, 512 * kMiB) << "the daemon's peak RSS grew by " << growth << " bytes";
}

}  // namespace
}  // namespace weft::testing
