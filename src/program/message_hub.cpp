#include "program/message_hub.hpp"

#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::program {

void MessageHub::broadcast(const std::string& topic, const std::string& message) {
  {
    const sync::MutexLock lock(mutex_);
    for (auto& [id, subscription] : subscriptions_) {
      if (subscription.topic != topic) continue;
      if (subscription.queued.size() == kMaxQueued) subscription.queued.pop_front();
      subscription.queued.push_back(message);
    }
  }
  changed_.notify_all();
}

int64_t MessageHub::subscribe(const std::string& topic) {
  const sync::MutexLock lock(mutex_);
  const int64_t id = next_subscription_++;
  subscriptions_[id].topic = topic;
  return id;
}

void MessageHub::unsubscribe(int64_t subscription) {
  {
    const sync::MutexLock lock(mutex_);
    subscriptions_.erase(subscription);
  }
  changed_.notify_all();
}

std::optional<std::string> MessageHub::next(int64_t subscription, const std::atomic<bool>& stop) {
  sync::MutexLock lock(mutex_);
  while (true) {
    const auto found = subscriptions_.find(subscription);
    if (found == subscriptions_.end() || stop) return std::nullopt;
    if (!found->second.queued.empty()) {
      std::string message = std::move(found->second.queued.front());
      found->second.queued.pop_front();
      return message;
    }
    lock.wait(changed_);
  }
}

void MessageHub::push(const std::string& topic, const std::string& message) {
  {
    const sync::MutexLock lock(mutex_);
    auto& queue = queues_[topic];
    if (queue.size() == kMaxQueued) {
      throw Error("messaging: the queue of topic '" + topic + "' holds " +
                  std::to_string(kMaxQueued) + " messages already; pull some first");
    }
    queue.push_back(message);
  }
  changed_.notify_all();
}

std::optional<std::string> MessageHub::pull(const std::string& topic,
                                            const std::atomic<bool>& stop) {
  sync::MutexLock lock(mutex_);
  while (true) {
    if (stop) return std::nullopt;
    auto found = queues_.find(topic);
    if (found != queues_.end() && !found->second.empty()) {
      std::string message = std::move(found->second.front());
      found->second.pop_front();
      if (found->second.empty()) queues_.erase(found);
      return message;
    }
    lock.wait(changed_);
  }
}

void MessageHub::wake() {
  { const sync::MutexLock lock(mutex_); }
  changed_.notify_all();
}

}  // namespace weft::program
