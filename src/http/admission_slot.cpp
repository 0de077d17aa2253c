#include "http/admission_slot.hpp"

#include "http/api_error.hpp"
#include "sync/mutex.hpp"

namespace weft::http {

AdmissionSlot::AdmissionSlot(server::Admission& admission, server::Admission::Ticket ticket)
    : admission_(admission), ticket_(ticket) {
  // Runs on whichever thread frees a slot: it only records the grant.
  auto outcome = admission_.submit(ticket_, [grant = grant_] {
    sync::MutexLock lock(grant->mutex);
    grant->started = true;
    grant->granted.notify_all();
  });
  if (outcome == server::Admission::Outcome::rejected) {
    throw ApiException({.status = 429,
                        .message = "the server is busy: every generation slot and queue place "
                                   "is taken; retry later",
                        .type = "rate_limit_error",
                        .code = "queue_full"});
  }
}

AdmissionSlot::~AdmissionSlot() {
  if (admission_.withdraw(ticket_)) return;  // still waiting: nothing was granted
  // Granted, or being granted right now by another thread's finish(): wait for the record.
  sync::MutexLock lock(grant_->mutex);
  while (!grant_->started) lock.wait(grant_->granted);
  lock.unlock();
  admission_.finish();
}

bool AdmissionSlot::wait(const std::function<bool()>& keep_waiting,
                         std::chrono::milliseconds poll) {
  sync::MutexLock lock(grant_->mutex);
  while (!grant_->started) {
    if (lock.wait_for(grant_->granted, poll,
                      [&]() WEFT_REQUIRES(grant_->mutex) { return grant_->started; }))
      break;
    lock.unlock();
    bool go_on = keep_waiting();
    lock.lock();
    if (!go_on && !grant_->started) return false;
  }
  return true;
}

}  // namespace weft::http
