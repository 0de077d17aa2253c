#include "server/admission.hpp"

#include <algorithm>

#include "sync/mutex.hpp"

namespace weft::server {

Admission::Admission(size_t max_active, size_t max_queued)
    : max_active_(max_active), max_queued_(max_queued) {}

Admission::Outcome Admission::submit(Ticket ticket, std::function<void()> start) {
  {
    sync::MutexLock lock(mutex_);
    if (active_ >= max_active_) {
      if (waiting_.size() >= max_queued_) return Outcome::rejected;
      waiting_.push_back({ticket, std::move(start)});
      return Outcome::queued;
    }
    ++active_;
  }
  start();
  return Outcome::started;
}

bool Admission::withdraw(Ticket ticket) {
  sync::MutexLock lock(mutex_);
  auto found = std::find_if(waiting_.begin(), waiting_.end(),
                            [&](const Waiting& waiting) { return waiting.ticket == ticket; });
  if (found == waiting_.end()) return false;
  waiting_.erase(found);
  return true;
}

void Admission::finish() {
  std::function<void()> next;
  {
    sync::MutexLock lock(mutex_);
    if (waiting_.empty()) {
      --active_;
      return;
    }
    // The slot passes straight to the next waiting job: active_ stays the same.
    next = std::move(waiting_.front().start);
    waiting_.pop_front();
  }
  next();
}

size_t Admission::active() const {
  sync::MutexLock lock(mutex_);
  return active_;
}

size_t Admission::queued() const {
  sync::MutexLock lock(mutex_);
  return waiting_.size();
}

}  // namespace weft::server
