#include "server/admin_bus.hpp"

#include <algorithm>
#include <thread>

#include "sync/mutex.hpp"

namespace weft::server {

std::string admin_status_frame(const std::string& state, const nlohmann::json& detail) {
  nlohmann::ordered_json frame = {{"id", "admin"}, {"type", "status"}, {"status", state}};
  for (const auto& [key, value] : detail.items()) frame[key] = value;
  return frame.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void AdminBus::broadcast_locked(const SharedFrame& frame) {
  std::vector<std::shared_ptr<AdminSubscriber>> lagging;
  auto gone = [&](const std::weak_ptr<AdminSubscriber>& weak) {
    auto subscriber = weak.lock();
    if (!subscriber) return true;
    if (subscriber->deliver(frame)) return false;
    lagging.push_back(std::move(subscriber));
    return true;
  };
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(), gone),
                     subscribers_.end());
  for (auto& subscriber : lagging) subscriber->drop();
}

void AdminBus::publish_state(const std::string& state, nlohmann::json detail) {
  auto frame = std::make_shared<const std::string>(admin_status_frame(state, detail));
  sync::MutexLock lock(mutex_);
  state_ = frame;
  broadcast_locked(frame);
}

void AdminBus::publish_capabilities(const nlohmann::json& capabilities) {
  auto frame =
      std::make_shared<const std::string>(admin_status_frame("capabilities", capabilities));
  sync::MutexLock lock(mutex_);
  capabilities_ = frame;
  broadcast_locked(frame);
}

void AdminBus::publish_stats(const nlohmann::json& stats) {
  auto frame = std::make_shared<const std::string>(admin_status_frame("stats", stats));
  sync::MutexLock lock(mutex_);
  stats_ = frame;
  broadcast_locked(frame);
}

void AdminBus::subscribe(const std::shared_ptr<AdminSubscriber>& subscriber) {
  sync::MutexLock lock(mutex_);
  bool keeping_up = true;
  if (capabilities_) keeping_up = subscriber->deliver(capabilities_);
  if (keeping_up && state_) keeping_up = subscriber->deliver(state_);
  if (keeping_up && stats_) keeping_up = subscriber->deliver(stats_);
  if (!keeping_up) {
    subscriber->drop();
    return;
  }
  subscribers_.push_back(subscriber);
}

void AdminBus::finish_all(std::chrono::milliseconds patience) {
  std::vector<std::weak_ptr<AdminSubscriber>> subscribers;
  {
    sync::MutexLock lock(mutex_);
    subscribers.swap(subscribers_);
  }
  for (auto& weak : subscribers) {
    if (auto subscriber = weak.lock()) subscriber->finish();
  }
  // A session lives while its socket operations are pending, so it expires once closed.
  const auto deadline = std::chrono::steady_clock::now() + patience;
  auto open = [&] {
    return std::any_of(subscribers.begin(), subscribers.end(),
                       [](const auto& weak) { return !weak.expired(); });
  };
  while (open() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

size_t AdminBus::subscriber_count() const {
  sync::MutexLock lock(mutex_);
  return subscribers_.size();
}

}  // namespace weft::server
