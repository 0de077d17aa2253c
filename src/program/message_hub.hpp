// Messaging between the programs of one host (inferlet `messaging`, docs/programs.md):
// broadcast topics with subscriptions, and push/pull queues where each message goes to one
// puller. Thread-safe. Queues are bounded: a push past kMaxQueued messages is refused, and a
// subscription that falls kMaxQueued behind loses its oldest messages.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "sync/mutex.hpp"

namespace weft::program {

class MessageHub {
 public:
  static constexpr size_t kMaxQueued = 10000;

  void broadcast(const std::string& topic, const std::string& message);
  int64_t subscribe(const std::string& topic);
  void unsubscribe(int64_t subscription);
  // The subscription's next message; nullopt once it is unsubscribed (or unknown) or when
  // `stop` is set and wake() is called.
  std::optional<std::string> next(int64_t subscription, const std::atomic<bool>& stop);
  // Throws weft::Error when the topic's queue is full.
  void push(const std::string& topic, const std::string& message);
  // The topic's next queued message, waiting for one; nullopt when `stop` is set and wake()
  // is called.
  std::optional<std::string> pull(const std::string& topic, const std::atomic<bool>& stop);
  // Wakes every waiter so that those whose stop flag is set return.
  void wake();

 private:
  struct Subscription {
    std::string topic;
    std::deque<std::string> queued;
  };
  sync::Mutex mutex_;
  std::condition_variable changed_;
  std::map<int64_t, Subscription> subscriptions_ WEFT_GUARDED_BY(mutex_);
  std::map<std::string, std::deque<std::string>> queues_ WEFT_GUARDED_BY(mutex_);
  int64_t next_subscription_ WEFT_GUARDED_BY(mutex_) = 1;
};

}  // namespace weft::program
