// weft serve end to end: requests, defaults, validation, framing, concurrency, admission.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/connection.hpp"
#include "support/daemon_process.hpp"
#include "support/frames.hpp"
#include "weft/error.hpp"

namespace weft::testing {
namespace {

using nlohmann::json;

DaemonProcess::Options stub_daemon(std::vector<std::string> extra_args, int token_delay_ms) {
  DaemonProcess::Options options;
  options.args.insert(options.args.end(), extra_args.begin(), extra_args.end());
  options.env["WEFT_STUB_DELAY_MS"] = std::to_string(token_delay_ms);
  return options;
}

json minimal_request_frame(const std::string& id) {
  return {{"id", id}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
}

// A raw connection for frames that the client library would never send.
std::shared_ptr<client::Connection> raw_connection(const DaemonProcess& daemon) {
  daemon.connect().close();  // waits for ready
  return client::Connection::open(daemon.infer_address());
}

json read_json_line(client::Connection& connection) {
  auto line = connection.read_line(std::chrono::milliseconds(kPatience));
  if (!line) {
    ADD_FAILURE() << "no frame (connection " << (connection.timed_out() ? "timed out" : "closed")
                  << ")";
    return {};
  }
  return json::parse(*line);
}

bool closed_without_frame(client::Connection& connection) {
  auto line = connection.read_line(std::chrono::milliseconds(kPatience));
  return !line && !connection.timed_out();
}

TEST(ServeRequests, StreamsTokensThenDoneWithTheFullText) {
  DaemonProcess daemon(stub_daemon({}, 1));
  auto client = daemon.connect();
  auto request = user_request("first", "hello", 6);
  auto frames = client.generate(request);
  auto collected = collect_frames(frames);
  ASSERT_EQ(collected.terminal.type, client::Frame::Type::done) << collected.terminal.raw;
  EXPECT_EQ(collected.terminal.id, "first");
  EXPECT_EQ(collected.terminal.content, stub_answer(request));
  EXPECT_EQ(collected.token_text(), collected.terminal.content);
  EXPECT_EQ(collected.terminal.stop_reason, "length");
  EXPECT_EQ(collected.terminal.backend, "stub");
  EXPECT_EQ(collected.terminal.usage.completion_tokens, 6u);
  for (const auto& token : collected.tokens) EXPECT_EQ(token.id, "first");
}

TEST(ServeRequests, AppliesTheDefaultsToAMinimalRequest) {
  DaemonProcess daemon(stub_daemon({}, 0));
  auto connection = raw_connection(daemon);
  connection->write_all(R"({"messages":[{"role":"user","content":"hi"}]})"
                        "\n");
  json frame;
  do {
    frame = read_json_line(*connection);
    EXPECT_EQ(frame["id"], "");  // the default id is echoed on every frame
  } while (frame["type"] == "token");
  ASSERT_EQ(frame["type"], "done") << frame.dump();
  // The stub's whole answer is shorter than the default max_tokens: it ends by itself.
  EXPECT_EQ(frame["stop_reason"], "end");
  EXPECT_EQ(frame["content"], stub_answer(user_request("", "hi", 1000000)));
}

TEST(ServeRequests, TheExtensionsReachTheBackend) {
  DaemonProcess daemon(stub_daemon({}, 0));
  auto client = daemon.connect();
  auto request = user_request("stopped", "hi", 1000);
  request.options.stop = {"stub"};
  request.options.seed = 42;
  request.options.min_p = 0.1f;
  auto frames = client.generate(request);
  auto collected = collect_frames(frames);
  ASSERT_EQ(collected.terminal.type, client::Frame::Type::done) << collected.terminal.raw;
  EXPECT_EQ(collected.terminal.content, stub_answer(request));
  EXPECT_EQ(collected.terminal.content.find("stub"), std::string::npos);
  EXPECT_EQ(collected.terminal.stop_reason, "end");
}

TEST(ServeRequests, EveryValidationErrorKeepsTheConnectionOpen) {
  DaemonProcess daemon(stub_daemon({}, 0));
  auto connection = raw_connection(daemon);
  std::vector<std::pair<std::string, json>> bad = {
      {"messages", json::array()},
      {"messages", {{{"role", "robot"}, {"content", "x"}}}},
      {"top_k", -1},
      {"max_tokens", 4294967296ull},
      {"image_token_budget", 71},
      {"grammar", "root ::= \"x\""},
      {"stop", "not-an-array"},
      {"temperature", "warm"},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    json request = minimal_request_frame(std::string("bad") + std::to_string(i));
    request[bad[i].first] = bad[i].second;
    connection->write_all(request.dump() + "\n");
    json frame = read_json_line(*connection);
    EXPECT_EQ(frame["type"], "error") << bad[i].first;
    EXPECT_EQ(frame["code"], "invalid_request") << bad[i].first;
    EXPECT_EQ(frame["id"], std::string("bad") + std::to_string(i));
  }
  json missing = {{"id", "no-messages"}};
  connection->write_all(missing.dump() + "\n");
  EXPECT_EQ(read_json_line(*connection)["code"], "invalid_request");
  // Still open and serving.
  json good = minimal_request_frame("good");
  good["max_tokens"] = 2;
  connection->write_all(good.dump() + "\n");
  json frame;
  do frame = read_json_line(*connection);
  while (frame["type"] == "token");
  EXPECT_EQ(frame["type"], "done");
  EXPECT_EQ(frame["id"], "good");
}

TEST(ServeRequests, GrammarIsRefusedByTheStubNeverIgnored) {
  DaemonProcess daemon(stub_daemon({}, 0));
  auto connection = raw_connection(daemon);
  json request = minimal_request_frame("g");
  request["grammar"] = "root ::= \"yes\"";
  connection->write_all(request.dump() + "\n");
  json frame = read_json_line(*connection);
  EXPECT_EQ(frame["code"], "invalid_request");
  EXPECT_EQ(frame["message"],
            "the stub backend does not support grammar (only the native "
            "backend does)");
}

TEST(ServeRequests, UnparseableFrameGetsAnErrorWithEmptyIdThenClose) {
  DaemonProcess daemon(stub_daemon({}, 0));
  for (std::string line : {"this is not json\n", "[1,2,3]\n", "\n"}) {
    auto connection = raw_connection(daemon);
    connection->write_all(line);
    json frame = read_json_line(*connection);
    EXPECT_EQ(frame["type"], "error") << line;
    EXPECT_EQ(frame["id"], "") << line;
    EXPECT_TRUE(closed_without_frame(*connection)) << line;
  }
}

TEST(ServeRequests, OversizeFrameGetsFrameTooLargeThenClose) {
  DaemonProcess daemon(stub_daemon({}, 0));
  auto connection = raw_connection(daemon);
  // A valid request first: it is answered before the oversize line is reported.
  json first = minimal_request_frame("before");
  first["max_tokens"] = 1;
  std::string payload = first.dump() + "\n" + std::string(64u * 1024u * 1024u + 1u, 'x');
  std::thread writer([&] {
    try {
      connection->write_all(payload);
    } catch (const Error&) {
      // The daemon may close before everything is written; that is the point.
    }
  });
  json frame;
  do frame = read_json_line(*connection);
  while (frame["type"] == "token");
  EXPECT_EQ(frame["type"], "done");
  EXPECT_EQ(frame["id"], "before");
  frame = read_json_line(*connection);
  EXPECT_EQ(frame["type"], "error");
  EXPECT_EQ(frame["code"], "frame_too_large");
  EXPECT_TRUE(closed_without_frame(*connection));
  writer.join();
}

TEST(ServeRequests, LastLineWithoutNewlineIsServedAfterHalfClose) {
  DaemonProcess daemon(stub_daemon({}, 0));
  auto connection = raw_connection(daemon);
  json request = minimal_request_frame("tail");
  request["max_tokens"] = 2;
  connection->write_all(request.dump());  // no newline
  // Shut down only our writing side: the daemon sees EOF but can still answer.
  connection->shutdown_write();
  json frame;
  do frame = read_json_line(*connection);
  while (frame["type"] == "token");
  EXPECT_EQ(frame["type"], "done");
  EXPECT_EQ(frame["id"], "tail");
  EXPECT_TRUE(closed_without_frame(*connection));
}

// Every request's answer depends on its id: the stub streams one canned text and each
// request stops at a different point of it (a `stop` string), so an answer delivered to
// the wrong request shows. All connections are open before any request is sent.
TEST(ServeRequests, TwoHundredConnectionsWithSeveralRequestsEachNothingLostOrCrossed) {
  DaemonProcess daemon(stub_daemon({"--parallel", "16", "--queue", "256"}, 1));
  std::string canned;
  {
    auto client = daemon.connect();
    auto frames = client.generate(user_request("whole", "hi", 1000));
    canned = collect_frames(frames).terminal.content;
  }
  ASSERT_GT(canned.size(), 40u);
  constexpr int kConnections = 200;
  constexpr int kRequestsEach = 3;
  // The stop string of request `n` starts at a position that depends on `n`; the answer is
  // the text before the first occurrence of that string.
  auto stop_for = [&](int n) {
    return canned.substr(1 + static_cast<size_t>(n) % (canned.size() - 4), 3);
  };
  auto expected_for = [&](int n) { return canned.substr(0, canned.find(stop_for(n))); };
  std::atomic<int> failures{0};
  std::atomic<int> completed{0};
  std::latch all_connected(kConnections);
  std::vector<std::thread> threads;
  for (int c = 0; c < kConnections; ++c) {
    threads.emplace_back([&, c] {
      std::optional<client::Client> client;
      try {
        client = daemon.connect();
      } catch (const std::exception& error) {
        ++failures;
        ADD_FAILURE() << "connection " << c << ": " << error.what();
      }
      all_connected.arrive_and_wait();
      if (!client) return;
      try {
        for (int r = 0; r < kRequestsEach; ++r) {
          const int n = c * kRequestsEach + r;
          // std::string first: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
          auto request = user_request(
              std::string("c") + std::to_string(c) + std::string("-r") + std::to_string(r), "hi",
              1000);
          request.options.stop = {stop_for(n)};
          auto frames = client->generate(request);
          auto collected = collect_frames(frames);
          bool ok = collected.terminal.type == client::Frame::Type::done &&
                    collected.terminal.id == request.id &&
                    collected.terminal.content == expected_for(n) &&
                    collected.token_text() == collected.terminal.content;
          for (const auto& token : collected.tokens) ok = ok && token.id == request.id;
          if (ok) {
            ++completed;
          } else {
            ++failures;
            ADD_FAILURE() << request.id << " (stop '" << stop_for(n) << "') got "
                          << collected.terminal.raw;
          }
        }
      } catch (const std::exception& error) {
        ++failures;
        ADD_FAILURE() << "connection " << c << ": " << error.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(completed.load(), kConnections * kRequestsEach);
  // The cut points really differ from one request to the next.
  EXPECT_NE(expected_for(0), expected_for(5));
}

TEST(ServeRequests, PipelinedRequestsOnOneConnectionAreServedInOrder) {
  DaemonProcess daemon(stub_daemon({}, 1));
  auto client = daemon.connect();
  std::string lines;
  std::vector<GenerationRequest> requests;
  for (int i = 0; i < 5; ++i) {
    requests.push_back(
        user_request(std::string("p") + std::to_string(i), "hi", static_cast<uint32_t>(5 - i)));
    auto encoded = json(minimal_request_frame(requests.back().id));
    encoded["max_tokens"] = 5 - i;
    lines += encoded.dump() + "\n";
  }
  client.send_line(lines);
  for (const auto& request : requests) {
    auto frames = client.frames();
    auto collected = collect_frames(frames);
    EXPECT_EQ(collected.terminal.id, request.id);
    EXPECT_EQ(collected.terminal.content, stub_answer(request));
  }
}

TEST(ServeRequests, QueueFullUnderOverload) {
  // One slot, one waiting place: of three long requests, exactly one is refused at once.
  DaemonProcess daemon(stub_daemon({"--parallel", "1", "--queue", "1"}, 300));
  auto first = daemon.connect();
  auto first_frames = first.generate(user_request("long-1", "hi", 1000));
  ASSERT_EQ(first_frames.next()->type, client::Frame::Type::token);  // it holds the slot

  auto second = daemon.connect();
  auto third = daemon.connect();
  auto second_frames = second.generate(user_request("long-2", "hi", 1000));
  auto third_frames = third.generate(user_request("long-3", "hi", 1000));
  // The refused one answers at once, the waiting one only when the slot frees: read both
  // on their own threads, and free the slot once the refusal is in the log.
  std::optional<client::Frame> second_first, third_first;
  std::thread second_reader([&] { second_first = second_frames.next(); });
  std::thread third_reader([&] { third_first = third_frames.next(); });
  EXPECT_TRUE(daemon.wait_for_log_line({"error=queue_full"})) << daemon.log();
  first_frames.cancel();
  second_reader.join();
  third_reader.join();
  ASSERT_TRUE(second_first && third_first);
  int queue_full = (second_first->code == "queue_full") + (third_first->code == "queue_full");
  int tokens = (second_first->type == client::Frame::Type::token) +
               (third_first->type == client::Frame::Type::token);
  EXPECT_EQ(queue_full, 1) << second_first->raw << third_first->raw;
  EXPECT_EQ(tokens, 1) << second_first->raw << third_first->raw;
}

TEST(ServeRequests, DisconnectMidStreamCancelsAndFreesTheSlot) {
  // One slot and no queue: the next request is admitted only once the slot is free.
  DaemonProcess daemon(stub_daemon({"--parallel", "1", "--queue", "0"}, 1000));
  {
    auto first = daemon.connect();
    auto frames = first.generate(user_request("dropped", "hi", 1000));
    ASSERT_EQ(frames.next()->type, client::Frame::Type::token);
  }  // closed mid-stream
  ASSERT_TRUE(daemon.wait_for_log_line({"id=\"dropped\"", "stop_reason=cancelled"}))
      << daemon.log();
  auto second = daemon.connect();
  auto frames = second.generate(user_request("next", "hi", 1));
  auto collected = collect_frames(frames);
  EXPECT_EQ(collected.terminal.type, client::Frame::Type::done) << collected.terminal.raw;
}

TEST(ServeRequests, LogsOneStructuredLinePerRequest) {
  DaemonProcess daemon(stub_daemon({}, 0));
  auto client = daemon.connect();
  auto frames = client.generate(user_request("logged", "one two", 3));
  collect_frames(frames);
  EXPECT_TRUE(daemon.wait_for_log_line({"request", "id=\"logged\"", "backend=\"stub\"",
                                        "prompt_tokens=", "completion_tokens=3",
                                        "ttft_ms=", "total_ms=", "stop_reason=length"}))
      << daemon.log();
}

}  // namespace
}  // namespace weft::testing
