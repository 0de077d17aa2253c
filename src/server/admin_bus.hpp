// The admin socket's event stream (PROTOCOLS §2): the latest capabilities and state are
// kept as a snapshot for new subscribers; every later frame goes to every subscriber.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sync/mutex.hpp"

namespace weft::server {

using SharedFrame = std::shared_ptr<const std::string>;

class AdminSubscriber {
 public:
  virtual ~AdminSubscriber() = default;
  // Queues one frame; false when the subscriber is too far behind and must be dropped.
  virtual bool deliver(SharedFrame frame) = 0;
  // Disconnects the subscriber (it reconnects for a fresh snapshot).
  virtual void drop() = 0;
  // Disconnects once the frames already queued are written (shutdown: the last `draining`
  // must reach the client).
  virtual void finish() { drop(); }
};

// Frames a subscriber may have queued and unwritten before it is dropped.
inline constexpr size_t kAdminBacklogLimit = 256;

// `{"id":"admin","type":"status","status":STATE, …detail}` with its `\n`.
std::string admin_status_frame(const std::string& state, const nlohmann::json& detail);

class AdminBus {
 public:
  // A lifecycle state (starting, loading_model, ready, …) with its detail keys.
  void publish_state(const std::string& state, nlohmann::json detail = nlohmann::json::object());
  void publish_capabilities(const nlohmann::json& capabilities);
  // A `stats` frame (weft extension: request and KV cache counters); it is not a state, so
  // the current state stays what it was. Kept for the snapshot like the others.
  void publish_stats(const nlohmann::json& stats);
  // Sends the snapshot (capabilities when known, the current state, the latest stats when
  // there are any), then follows.
  void subscribe(const std::shared_ptr<AdminSubscriber>& subscriber);
  // At exit: ends every subscription after its queued frames are written, and waits up to
  // `patience` for the connections to close (a reader that never reads is cut off later).
  void finish_all(std::chrono::milliseconds patience);
  size_t subscriber_count() const;

 private:
  void broadcast_locked(const SharedFrame& frame) WEFT_REQUIRES(mutex_);

  mutable sync::Mutex mutex_;
  SharedFrame capabilities_ WEFT_GUARDED_BY(mutex_);
  SharedFrame state_ WEFT_GUARDED_BY(mutex_);
  SharedFrame stats_ WEFT_GUARDED_BY(mutex_);
  std::vector<std::weak_ptr<AdminSubscriber>> subscribers_ WEFT_GUARDED_BY(mutex_);
};

}  // namespace weft::server
