// Load against a real daemon (stub backend): 500 connections of 4 pipelined requests each,
// all open at once. Every request must get exactly one terminal frame, on its own
// connection, carrying its own answer; the stub's answer depends on max_tokens, which
// differs from one request to the next, so an answer crossed to another request shows.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "reliability/connection_swarm.hpp"
#include "reliability/fault_daemons.hpp"
#include "support/frames.hpp"
#include "support/process_stats.hpp"

namespace weft::testing {
namespace {

using nlohmann::json;

constexpr size_t kConnections = 500;
constexpr int kRequestsEach = 4;

uint32_t max_tokens_of(size_t connection, int request) {
  return 1 + static_cast<uint32_t>((connection * kRequestsEach + request) % 23);
}

// What is wrong with one connection's frames, or "" when each request got exactly its answer.
std::string check_connection(size_t c, const ConnectionSwarm::Connection& connection,
                             const std::map<uint32_t, std::string>& answers) {
  std::map<std::string, uint32_t> mine;  // id → max_tokens
  for (int r = 0; r < kRequestsEach; ++r) mine[swarm_request_id(c, r)] = max_tokens_of(c, r);
  std::map<std::string, std::string> streamed;
  std::set<std::string> terminated;
  if (!connection.malformed.empty()) return "a malformed line: " + connection.malformed[0];
  for (const auto& frame : connection.frames) {
    const std::string id = frame.value("id", "");
    const std::string type = frame.value("type", "");
    if (!mine.count(id)) return "a frame of another request: " + frame.dump();
    if (terminated.count(id)) return "a frame after the terminal one: " + frame.dump();
    if (type == "token") {
      streamed[id] += frame.value("content", "");
    } else if (type == "done") {
      terminated.insert(id);
      const std::string& expected = answers.at(mine[id]);
      if (frame.value("content", "") != expected || streamed[id] != expected) {
        return "a wrong answer: " + frame.dump() + " (streamed '" + streamed[id] + "')";
      }
    } else {
      return "not served: " + frame.dump();
    }
  }
  if (terminated.size() != mine.size()) {
    return std::to_string(terminated.size()) + " of " + std::to_string(mine.size()) +
           " requests answered" + (connection.closed_by_daemon ? " (closed by the daemon)" : "");
  }
  return "";
}

TEST(ServeLoad, FiveHundredConnectionsOfFourRequestsEachGetTheirOwnAnswersOnce) {
  DaemonProcess daemon(stub_daemon({"--parallel", "16", "--queue", "2048", "--log-level", "warn"},
                                   {{"WEFT_STUB_DELAY_MS", "1"}}));
  daemon.connect().close();  // ready
  std::map<uint32_t, std::string> answers;
  for (uint32_t max_tokens = 1; max_tokens <= 23; ++max_tokens) {
    answers[max_tokens] = stub_answer(user_request("any", "hi", max_tokens));
  }
  ASSERT_NE(answers[3], answers[4]);  // the answers do tell the requests apart

  ConnectionSwarm swarm(daemon.infer_path(), kConnections);
  for (size_t c = 0; c < kConnections; ++c) {
    std::string lines;
    for (int r = 0; r < kRequestsEach; ++r) {
      lines += request_line(swarm_request_id(c, r), "hi", max_tokens_of(c, r));
    }
    swarm.queue(c, lines);
  }
  const bool finished = swarm.run(
      [](const ConnectionSwarm::Connection& connection) {
        return connection.terminal_frames() == static_cast<size_t>(kRequestsEach);
      },
      std::chrono::milliseconds(kPatience) * 3);
  EXPECT_TRUE(finished) << "not every request was answered in time";
  int wrong = 0;
  for (size_t c = 0; c < kConnections; ++c) {
    const std::string problem = check_connection(c, swarm.connections()[c], answers);
    if (!problem.empty() && ++wrong <= 5) ADD_FAILURE() << "connection " << c << ": " << problem;
  }
  EXPECT_EQ(wrong, 0);
  RecordProperty("daemon_peak_rss_bytes", std::to_string(status_bytes(daemon.pid(), "VmHWM")));
}

}  // namespace
}  // namespace weft::testing
