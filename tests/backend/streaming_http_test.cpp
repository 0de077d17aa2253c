// The libcurl plumbing shared by the remote backends, against an in-process server.
#include "backend/streaming_http.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support/fake_http_server.hpp"
#include "support/stream_helpers.hpp"

namespace weft::backend {
namespace {

using namespace std::chrono_literals;

HttpTimeouts patient() {
  HttpTimeouts timeouts;
  timeouts.connect = 5s;
  timeouts.stall = 60s;  // longer than any liveness bound below: a stall cannot pass for an abort
  return timeouts;
}

// Records what the plumbing hands it; opens `ended` when the transfer thread lets it go.
class RecordingConsumer : public StreamConsumer {
 public:
  struct Record {
    std::mutex mutex;
    std::string body;
    long status = 0;
    std::string error_body;
    bool finished = false;
    test::Gate first_bytes;
    test::Gate ended;
  };
  explicit RecordingConsumer(Record& record) : record_(record) {}
  ~RecordingConsumer() override { record_.ended.open(); }

  bool feed(std::string_view bytes) override {
    std::lock_guard lock(record_.mutex);
    record_.body.append(bytes);
    record_.first_bytes.open();
    return true;
  }
  void finish() override {
    std::lock_guard lock(record_.mutex);
    record_.finished = true;
  }
  void http_error(long status, const std::string& body) override {
    std::lock_guard lock(record_.mutex);
    record_.status = status;
    record_.error_body = body;
  }

 private:
  Record& record_;
};

class StreamingHttpTest : public ::testing::Test {
 protected:
  // A handler that sends `first` and then nothing until the server shuts down.
  void send_then_fall_silent(const std::string& first) {
    server.routes().Post("/stream",
                         [this, first](const httplib::Request&, httplib::Response& response) {
                           response.set_chunked_content_provider(
                               "text/plain", [this, first](size_t, httplib::DataSink& sink) {
                                 sink.write(first.data(), first.size());
                                 server.shutdown_gate().wait_for(120s);
                                 return false;
                               });
                         });
  }

  std::string url(const std::string& path) { return server.base_url() + path; }

  RecordingConsumer::Record record;
  test::FakeHttpServer server;
};

TEST_F(StreamingHttpTest, AbortEndsATransferWhileTheServerIsSilent) {
  send_then_fall_silent("hello");
  server.start();
  TransferControl control;
  std::string received;
  test::Gate got_bytes;
  TransferOutcome outcome;
  std::thread transfer([&] {
    outcome =
        stream_http({url("/stream"), {}, "{}"}, patient(), control, [&](std::string_view bytes) {
          received.append(bytes);
          got_bytes.open();
          return true;
        });
  });
  ASSERT_TRUE(got_bytes.wait_for(20s));
  control.abort();
  transfer.join();
  EXPECT_EQ(outcome.kind, TransferOutcome::Kind::aborted);
  EXPECT_EQ(received, "hello");
}

TEST_F(StreamingHttpTest, CancellingTheGenerationEndsItsTransferThread) {
  send_then_fall_silent("x");
  server.start();
  GenerationChannel channel("test");
  GenerationStream stream(channel.state());
  StreamingTransfers transfers;
  transfers.start(channel, {url("/stream"), {}, "{}"}, patient(),
                  std::make_unique<RecordingConsumer>(record), "test");
  ASSERT_TRUE(record.first_bytes.wait_for(20s));
  stream.cancel();
  // The consumer is released when the transfer thread ends; without the abort it would wait
  // for the 60 s stall limit.
  EXPECT_TRUE(record.ended.wait_for(20s));
  auto events = test::collect_events(stream);
  ASSERT_NE(test::as_done(events), nullptr);
  EXPECT_EQ(test::as_done(events)->reason, StopReason::cancelled);
  std::lock_guard lock(record.mutex);
  EXPECT_FALSE(record.finished);
}

TEST_F(StreamingHttpTest, DestroyingTheTransfersEndsTheGenerationAndJoinsItsThread) {
  send_then_fall_silent("x");
  server.start();
  GenerationChannel channel("test");
  GenerationStream stream(channel.state());
  {
    StreamingTransfers transfers;
    transfers.start(channel, {url("/stream"), {}, "{}"}, patient(),
                    std::make_unique<RecordingConsumer>(record), "test");
    ASSERT_TRUE(record.first_bytes.wait_for(20s));
  }  // joined here: without the abort it would wait for the 60 s stall limit
  EXPECT_TRUE(record.ended.wait_for(0ms));
  auto events = test::collect_events(stream);
  EXPECT_EQ(events.terminal_count, 1);
  const auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::backend_unavailable);
  EXPECT_NE(error->message.find("unloaded"), std::string::npos);
}

TEST_F(StreamingHttpTest, SilenceLongerThanTheStallLimitIsAStall) {
  send_then_fall_silent("x");
  server.start();
  TransferControl control;
  HttpTimeouts timeouts = patient();
  timeouts.stall = 100ms;
  auto outcome = stream_http({url("/stream"), {}, "{}"}, timeouts, control,
                             [](std::string_view) { return true; });
  EXPECT_EQ(outcome.kind, TransferOutcome::Kind::stalled);
}

TEST_F(StreamingHttpTest, ErrorStatusBodyGoesToHttpErrorNotToTheStream) {
  server.routes().Post("/stream", [](const httplib::Request&, httplib::Response& response) {
    response.status = 418;
    response.set_content("{\"error\":\"teapot\"}", "application/json");
  });
  server.start();
  GenerationChannel channel("test");
  GenerationStream stream(channel.state());
  StreamingTransfers transfers;
  transfers.start(channel, {url("/stream"), {}, "{}"}, patient(),
                  std::make_unique<RecordingConsumer>(record), "test");
  ASSERT_TRUE(record.ended.wait_for(20s));
  std::lock_guard lock(record.mutex);
  EXPECT_EQ(record.status, 418);
  EXPECT_EQ(record.error_body, "{\"error\":\"teapot\"}");
  EXPECT_TRUE(record.body.empty());
  EXPECT_FALSE(record.finished);
}

TEST_F(StreamingHttpTest, ASinkThatSaysStopAbortsTheTransfer) {
  send_then_fall_silent("hello");
  server.start();
  TransferControl control;
  auto outcome = stream_http({url("/stream"), {}, "{}"}, patient(), control,
                             [](std::string_view) { return false; });
  EXPECT_EQ(outcome.kind, TransferOutcome::Kind::aborted);
}

TEST_F(StreamingHttpTest, ASinkThatThrowsEndsTheTransferWithItsMessage) {
  send_then_fall_silent("hello");
  server.start();
  TransferControl control;
  auto outcome =
      stream_http({url("/stream"), {}, "{}"}, patient(), control,
                  [](std::string_view) -> bool { throw std::runtime_error("bad bytes"); });
  EXPECT_EQ(outcome.kind, TransferOutcome::Kind::transport_error);
  EXPECT_NE(outcome.message.find("bad bytes"), std::string::npos) << outcome.message;
}

TEST_F(StreamingHttpTest, RequestsSendHeadersAndBodyAndReturnTheAnswer) {
  std::mutex mutex;  // the handler runs on the server's thread
  std::string seen_header, seen_body, seen_type;
  server.routes().Post("/echo", [&](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard lock(mutex);
    seen_header = request.get_header_value("X-Test");
    seen_type = request.get_header_value("Content-Type");
    seen_body = request.body;
    response.status = 201;
    response.set_content("made", "text/plain");
  });
  server.start();
  auto response = http_request({url("/echo"), {"X-Test: yes"}, "{\"a\":1}"}, 5s);
  EXPECT_TRUE(response.ok());
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "made");
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen_header, "yes");
  EXPECT_EQ(seen_type, "application/json");
  EXPECT_EQ(seen_body, "{\"a\":1}");
}

TEST(StreamingHttpUnreachable, ReportsTheTransportError) {
  std::string url = "http://127.0.0.1:" + std::to_string(test::unused_local_port()) + "/x";
  auto response = http_request({url, {}, {}}, 5s);
  EXPECT_FALSE(response.ok());
  EXPECT_FALSE(response.transport_error.empty());
  TransferControl control;
  auto outcome =
      stream_http({url, {}, "{}"}, patient(), control, [](std::string_view) { return true; });
  EXPECT_EQ(outcome.kind, TransferOutcome::Kind::transport_error);
  EXPECT_FALSE(outcome.message.empty());
}

}  // namespace
}  // namespace weft::backend
