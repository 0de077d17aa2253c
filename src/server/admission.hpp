// Admission control: at most N generations run at once, at most Q wait, the rest are
// refused at once with queue_full. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

#include "sync/mutex.hpp"

namespace weft::server {

class Admission {
 public:
  Admission(size_t max_active, size_t max_queued);

  enum class Outcome { started, queued, rejected };
  using Ticket = uint64_t;

  // `start` runs once a slot is granted: at once (inside submit, after the lock is
  // released) or later from the thread whose finish() freed the slot. Whoever got a start
  // must call finish() exactly once.
  Outcome submit(Ticket ticket, std::function<void()> start);
  // Removes a job that is still waiting; false when it already started (or never came).
  bool withdraw(Ticket ticket);
  void finish();

  size_t active() const;
  size_t queued() const;

 private:
  struct Waiting {
    Ticket ticket;
    std::function<void()> start;
  };

  const size_t max_active_;
  const size_t max_queued_;
  mutable sync::Mutex mutex_;
  size_t active_ WEFT_GUARDED_BY(mutex_) = 0;
  std::deque<Waiting> waiting_ WEFT_GUARDED_BY(mutex_);
};

}  // namespace weft::server
