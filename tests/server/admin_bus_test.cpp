#include "server/admin_bus.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace weft::server
