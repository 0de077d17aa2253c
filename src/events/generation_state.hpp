// The state a GenerationChannel and its GenerationStream share (include/weft/generation.hpp).
// Private to the library; tests include it to look at the queued events directly, where a
// second terminal event would be visible (the stream API stops at the first).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "sync/mutex.hpp"
#include "weft/events.hpp"

namespace weft::detail {

struct GenerationState {
  std::string backend;
  sync::Mutex mutex;
  std::condition_variable ready;
  std::deque<Event> queue WEFT_GUARDED_BY(mutex);
  bool terminal_queued WEFT_GUARDED_BY(mutex) = false;
  bool terminal_returned WEFT_GUARDED_BY(mutex) = false;
  std::atomic<bool> cancelled{false};
  std::vector<std::function<void()>> cancel_hooks WEFT_GUARDED_BY(mutex);
  Usage usage WEFT_GUARDED_BY(mutex);
  std::chrono::steady_clock::time_point started WEFT_GUARDED_BY(mutex) =
      std::chrono::steady_clock::now();

  bool push_locked(Event event) WEFT_REQUIRES(mutex) {
    if (terminal_queued) return false;
    if (is_terminal(event)) terminal_queued = true;
    queue.push_back(std::move(event));
    ready.notify_all();
    return true;
  }

  void cancel() {
    std::vector<std::function<void()>> hooks;
    {
      sync::MutexLock lock(mutex);
      if (cancelled.exchange(true)) return;
      DoneEvent done;
      done.reason = StopReason::cancelled;
      done.usage = usage;
      done.backend = backend;
      done.timings.total = std::chrono::steady_clock::now() - started;
      push_locked(std::move(done));
      hooks.swap(cancel_hooks);
    }
    for (auto& hook : hooks) hook();
  }
};

}  // namespace weft::detail
