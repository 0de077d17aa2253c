#include "server/admin_bus.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "server/admin_session.hpp"

namespace weft::server {
namespace {

// Records frames; stops accepting after `capacity` undelivered ones, like a slow reader.
class FakeSubscriber : public AdminSubscriber {
 public:
  explicit FakeSubscriber(size_t capacity) : capacity_(capacity) {}
  bool deliver(SharedFrame frame) override {
    if (frames.size() >= capacity_) return false;
    frames.push_back(nlohmann::json::parse(*frame));
    return true;
  }
  void drop() override { dropped = true; }
  std::vector<nlohmann::json> frames;
  bool dropped = false;

 private:
  size_t capacity_;
};

TEST(AdminBus, NewSubscriberGetsCapabilitiesThenStateThenLaterEvents) {
  AdminBus bus;
  bus.publish_state("starting");
  bus.publish_state("loading_model", {{"phase", "mmap"}, {"path", "/m.gguf"}});
  bus.publish_capabilities({{"backend", "stub"}});
  auto subscriber = std::make_shared<FakeSubscriber>(100);
  bus.subscribe(subscriber);
  bus.publish_state("ready");
  ASSERT_EQ(subscriber->frames.size(), 3u);
  EXPECT_EQ(subscriber->frames[0]["status"], "capabilities");
  EXPECT_EQ(subscriber->frames[0]["backend"], "stub");
  EXPECT_EQ(subscriber->frames[1]["status"], "loading_model");
  EXPECT_EQ(subscriber->frames[1]["phase"], "mmap");
  EXPECT_EQ(subscriber->frames[1]["path"], "/m.gguf");
  EXPECT_EQ(subscriber->frames[2]["status"], "ready");
  for (const auto& frame : subscriber->frames) {
    EXPECT_EQ(frame["id"], "admin");
    EXPECT_EQ(frame["type"], "status");
  }
}

TEST(AdminBus, BeforeCapabilitiesAreKnownTheSnapshotIsTheStateAlone) {
  AdminBus bus;
  bus.publish_state("starting");
  auto subscriber = std::make_shared<FakeSubscriber>(100);
  bus.subscribe(subscriber);
  ASSERT_EQ(subscriber->frames.size(), 1u);
  EXPECT_EQ(subscriber->frames[0]["status"], "starting");
}

TEST(AdminBus, DropsASubscriberThatFallsBehind) {
  EXPECT_EQ(kAdminBacklogLimit, 256u);  // PROTOCOLS §2: "more than 256 frames behind"
  AdminBus bus;
  bus.publish_state("ready");
  auto slow = std::make_shared<FakeSubscriber>(kAdminBacklogLimit);
  auto fast = std::make_shared<FakeSubscriber>(10000);
  bus.subscribe(slow);
  bus.subscribe(fast);
  for (size_t i = 0; i < kAdminBacklogLimit + 5; ++i) bus.publish_state("ready");
  EXPECT_TRUE(slow->dropped);
  EXPECT_FALSE(fast->dropped);
  EXPECT_EQ(bus.subscriber_count(), 1u);
  EXPECT_EQ(fast->frames.size(), kAdminBacklogLimit + 6);
}

// The real delivery path: an admin connection whose peer never reads fills the socket
// buffer, then its queue, and is disconnected once more than 256 frames are unwritten.
TEST(AdminSession, APeerThatNeverReadsIsDisconnected) {
  asio::io_context io;
  asio::local::stream_protocol::socket ours(io);
  asio::local::stream_protocol::socket theirs(io);
  asio::local::connect_pair(ours, theirs);
  // Small kernel buffers, so only a few frames fit before writes stall.
  ours.set_option(asio::socket_base::send_buffer_size(4096));
  theirs.set_option(asio::socket_base::receive_buffer_size(4096));
  auto session = std::make_shared<AdminSession>(std::move(ours));
  session->start();
  auto work = asio::make_work_guard(io);
  std::thread loop([&io] { io.run(); });

  AdminBus bus;
  bus.publish_state("ready");
  bus.subscribe(session);
  ASSERT_EQ(bus.subscriber_count(), 1u);
  const std::string padding(16384, 'x');  // each frame is larger than the buffers
  size_t published = 0;
  while (bus.subscriber_count() == 1 && published < 4 * 256) {
    bus.publish_state("ready", {{"padding", padding}});
    ++published;
  }
  EXPECT_EQ(bus.subscriber_count(), 0u) << "never dropped after " << published << " frames";
  // Not before 256 frames were queued (one more came with the snapshot); a few may have
  // been written into the socket buffers meanwhile.
  EXPECT_GE(published + 1, 256u);
  EXPECT_LE(published + 1, 256u + 8u);

  // The daemon's end is closed: the peer reads what was buffered, then EOF.
  timeval limit{10, 0};
  EXPECT_EQ(::setsockopt(theirs.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)),
            0);
  // Plain recv: Asio's own blocking read would poll past the receive timeout.
  std::array<char, 65536> buffer{};
  ssize_t received = 0;
  do {
    received = ::recv(theirs.native_handle(), buffer.data(), buffer.size(), 0);
  } while (received > 0 || (received < 0 && errno == EINTR));
  EXPECT_EQ(received, 0) << "no EOF: " << std::strerror(errno);

  session->drop();  // already closed when the test passes; lets the loop end if it failed
  work.reset();
  loop.join();
}

}  // namespace
}  // namespace weft::server
