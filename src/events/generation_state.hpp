// The state a GenerationChannel and its GenerationStream share (include/weft/generation.hpp).
// Private to the library; tests include it to look at the queued events directly, where a
// second terminal event would be visible (the stream API stops at the first).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "weft/events.hpp"

namespace weft::detail {

struct GenerationState {
  std::string backend;
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Event> queue;
  bool terminal_queued = false;
  bool terminal_returned = false;
  std::atomic<bool> cancelled{false};
  std::vector<std::function<void()>> cancel_hooks;
  Usage usage;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  // Caller holds the mutex.
  bool push_locked(Event event) {
    if (terminal_queued) return false;
    if (is_terminal(event)) terminal_queued = true;
    queue.push_back(std::move(event));
    ready.notify_all();
    return true;
  }

  void cancel() {
    std::vector<std::function<void()>> hooks;
    {
      std::lock_guard lock(mutex);
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
