// Signals and crashes under load (stub backend): SIGHUP and SIGTERM while hundreds of
// pipelined requests are in flight, and kill -9 followed by a new daemon on the same runtime
// directory. The invariant: every request gets at most one terminal frame, on its own
// connection, and exactly one unless the daemon closed that connection (a drain may drop the
// requests a connection had not started, and then closes it cleanly); every answer that says
// done is the right one.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <set>

#include "reliability/connection_swarm.hpp"
#include "reliability/fault_daemons.hpp"
#include "support/frames.hpp"

namespace weft::testing {
namespace {

using nlohmann::json;

constexpr int kSignalledRequestsEach = 4;

struct Tally {
  int done = 0;
  int errors = 0;
  int unanswered = 0;  // on connections the daemon closed
  std::map<std::string, int> error_codes;
};

uint32_t signalled_max_tokens_of(size_t connection, int request) {
  return 5 + static_cast<uint32_t>((connection * kSignalledRequestsEach + request) % 19);
}

void queue_requests(ConnectionSwarm& swarm, size_t connections) {
  for (size_t c = 0; c < connections; ++c) {
    std::string lines;
    for (int r = 0; r < kSignalledRequestsEach; ++r) {
      lines += request_line(swarm_request_id(c, r), "hi", signalled_max_tokens_of(c, r));
    }
    swarm.queue(c, lines);
  }
}

bool all_answered(const ConnectionSwarm::Connection& connection) {
  return connection.terminal_frames() == static_cast<size_t>(kSignalledRequestsEach);
}

// Checks the invariant of this file's comment, counting outcomes.
Tally check_exactly_once(const ConnectionSwarm& swarm) {
  Tally tally;
  std::map<uint32_t, std::string> answers;
  for (size_t c = 0; c < swarm.connections().size(); ++c) {
    const auto& connection = swarm.connections()[c];
    EXPECT_TRUE(connection.malformed.empty())
        << "connection " << c << ": " << connection.malformed.front();
    std::map<std::string, int> terminals;
    std::map<std::string, std::string> streamed;
    for (int r = 0; r < kSignalledRequestsEach; ++r) terminals[swarm_request_id(c, r)] = 0;
    for (const auto& frame : connection.frames) {
      const std::string id = frame.value("id", "");
      const std::string type = frame.value("type", "");
      if (!terminals.count(id)) {
        ADD_FAILURE() << "connection " << c << " got another's frame: " << frame.dump();
        continue;
      }
      EXPECT_EQ(terminals[id], 0) << "a frame after the terminal one: " << frame.dump();
      if (type == "token") {
        streamed[id] += frame.value("content", "");
        continue;
      }
      ++terminals[id];
      if (type == "done") {
        ++tally.done;
        const int r = std::stoi(id.substr(id.find("-r") + 2));
        const uint32_t asked = signalled_max_tokens_of(c, r);
        if (!answers.count(asked)) answers[asked] = stub_answer(user_request("x", "hi", asked));
        EXPECT_EQ(frame.value("content", ""), answers[asked]) << frame.dump();
        EXPECT_EQ(streamed[id], answers[asked]) << id;
      } else {
        ++tally.errors;
        ++tally.error_codes[frame.value("code", "")];
      }
    }
    for (const auto& [id, count] : terminals) {
      if (count == 0) {
        EXPECT_TRUE(connection.closed_by_daemon) << id << " has no terminal frame on an open "
                                                 << "connection";
        ++tally.unanswered;
      }
    }
  }
  return tally;
}

std::string describe_tally(const Tally& tally) {
  std::string text =
      std::to_string(tally.done) + " done, " + std::to_string(tally.errors) + " errors (";
  for (const auto& [code, count] : tally.error_codes) {
    text += code + " " + std::to_string(count) + " ";
  }
  return text + "), " + std::to_string(tally.unanswered) + " dropped with their connection";
}

// Runs the swarm until `frames_before` frames have arrived in all, then calls `act` once.
std::function<void()> once_after_frames(const ConnectionSwarm& swarm, size_t frames_before,
                                        std::function<void()> act) {
  auto done = std::make_shared<bool>(false);
  return [&swarm, frames_before, act = std::move(act), done] {
    if (*done) return;
    size_t frames = 0;
    for (const auto& connection : swarm.connections()) frames += connection.frames.size();
    if (frames >= frames_before) {
      *done = true;
      act();
    }
  };
}

TEST(ServeSignals, ASighupUnderLoadAnswersEveryRequestExactlyOnce) {
  DaemonProcess daemon(stub_daemon({"--parallel", "8", "--queue", "1024", "--log-level", "warn"},
                                   {{"WEFT_STUB_DELAY_MS", "2"}}));
  daemon.connect().close();  // ready
  constexpr size_t kConnections = 100;
  ConnectionSwarm swarm(daemon.infer_path(), kConnections);
  queue_requests(swarm, kConnections);
  bool reloaded = false;
  auto sighup = once_after_frames(swarm, 200, [&] {
    daemon.send_signal(SIGHUP);
    reloaded = true;
  });
  const bool finished = swarm.run(all_answered, std::chrono::milliseconds(kPatience) * 2, sighup);
  ASSERT_TRUE(reloaded);
  EXPECT_TRUE(finished);
  Tally tally = check_exactly_once(swarm);
  RecordProperty("outcome", describe_tally(tally));
  // A reload closes no connection, not even those still in the listen backlog: what it does
  // not serve it refuses, one frame each.
  EXPECT_EQ(tally.unanswered, 0) << describe_tally(tally);
  EXPECT_EQ(tally.done + tally.errors, static_cast<int>(kConnections) * kSignalledRequestsEach);
  for (const auto& [code, count] : tally.error_codes) {
    EXPECT_EQ(code, "backend_unavailable") << describe_tally(tally);
  }
  EXPECT_GT(tally.done, 0) << describe_tally(tally);
  // The reloaded daemon serves.
  auto client = daemon.connect();
  auto request = user_request("after", "hi", 3);
  auto frames = client.generate(request);
  EXPECT_EQ(collect_frames(frames).terminal.content, stub_answer(request));
}

// Connections made while the daemon is stopped wait in the listen backlog; the SIGHUP that
// arrives with them closes the socket for the reload. The reload takes them in first, so every
// request gets its frame (served, or refused as backend_unavailable while reloading) and no
// connection is reset unread.
TEST(ServeSignals, ASighupWithConnectionsStillInTheBacklogAnswersThemAll) {
  DaemonProcess daemon(stub_daemon({"--parallel", "8", "--queue", "1024", "--log-level", "warn"},
                                   {{"WEFT_STUB_DELAY_MS", "2"}}));
  daemon.connect().close();  // ready
  daemon.send_signal(SIGSTOP);
  constexpr size_t kConnections = 100;
  ConnectionSwarm swarm(daemon.infer_path(), kConnections);
  queue_requests(swarm, kConnections);
  daemon.send_signal(SIGHUP);
  daemon.send_signal(SIGCONT);
  EXPECT_TRUE(swarm.run(all_answered, std::chrono::milliseconds(kPatience) * 2));
  Tally tally = check_exactly_once(swarm);
  RecordProperty("outcome", describe_tally(tally));
  EXPECT_EQ(tally.unanswered, 0) << describe_tally(tally);
  for (const auto& connection : swarm.connections()) {
    EXPECT_FALSE(connection.closed_by_daemon) << describe_tally(tally);
  }
  for (const auto& [code, count] : tally.error_codes) {
    EXPECT_EQ(code, "backend_unavailable") << describe_tally(tally);
  }
}

TEST(ServeSignals, ASigtermUnderLoadEndsEveryRequestOnceAndExitsCleanly) {
  // Long generations (5 ms × up to 23 tokens, 8 at a time, 400 requests) outlast the 1 s
  // drain: some finish, the running ones are cancelled, the waiting ones refused or dropped.
  DaemonProcess daemon(stub_daemon(
      {"--parallel", "8", "--queue", "1024", "--drain-timeout", "1", "--log-level", "warn"},
      {{"WEFT_STUB_DELAY_MS", "5"}}));
  daemon.connect().close();  // ready
  constexpr size_t kConnections = 100;
  ConnectionSwarm swarm(daemon.infer_path(), kConnections);
  queue_requests(swarm, kConnections);
  auto sigterm = once_after_frames(swarm, 100, [&] { daemon.send_signal(SIGTERM); });
  // Every connection ends answered or closed by the daemon.
  EXPECT_TRUE(swarm.run(all_answered, std::chrono::milliseconds(kPatience) * 2, sigterm));
  EXPECT_EQ(daemon.wait_exit(), 0) << daemon.log().substr(0, 4000);
  Tally tally = check_exactly_once(swarm);
  RecordProperty("outcome", describe_tally(tally));
  EXPECT_GT(tally.done, 0) << describe_tally(tally);
  EXPECT_LT(tally.done, static_cast<int>(kConnections) * kSignalledRequestsEach)
      << describe_tally(tally);
  for (const auto& [code, count] : tally.error_codes) {
    EXPECT_TRUE(code == "backend_unavailable" || code == "cancelled") << describe_tally(tally);
  }
}

TEST(ServeSignals, AfterKillNineANewDaemonTakesOverTheRuntimeDirectory) {
  TempDir xdg;
  DaemonProcess::Options options = stub_daemon({}, {{"WEFT_STUB_DELAY_MS", "20"}});
  options.xdg_runtime_dir = xdg.path();
  std::optional<DaemonProcess> first(std::in_place, options);
  auto reader = first->connect();
  auto in_flight = reader.generate(user_request("in-flight", "hi", 1000));
  ASSERT_TRUE(in_flight.next().has_value());  // a generation is under way
  first->send_signal(SIGKILL);
  ASSERT_EQ(first->wait_exit(), 128 + SIGKILL);
  // The dead daemon's client sees its stream end, not a hang.
  bool ended = false;
  try {
    while (auto frame = in_flight.next()) {
      if (frame->terminal()) break;
    }
    ended = true;
  } catch (const std::exception&) {
    ended = true;  // the connection was reset
  }
  EXPECT_TRUE(ended);
  // Its socket and lock files are left behind, as after a crash.
  EXPECT_TRUE(std::filesystem::exists(first->infer_path()));
  first.reset();

  DaemonProcess second(options);
  auto client = second.connect();
  auto request = user_request("after-crash", "hi", 3);
  auto frames = client.generate(request);
  EXPECT_EQ(collect_frames(frames).terminal.content, stub_answer(request));
  EXPECT_EQ(second.log().find("already running"), std::string::npos) << second.log();
}

}  // namespace
}  // namespace weft::testing
