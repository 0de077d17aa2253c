#include "http/admission_slot.hpp"

#include "http/api_error.hpp"

namespace weft::http {

AdmissionSlot::AdmissionSlot(server::Admission& admission, server::Admission::Ticket ticket)
    : admission_(admission), ticket_(ticket) {
  // Runs on whichever thread frees a slot: it only records the grant.
  auto outcome = admission_.submit(ticket_, [grant = grant_] {
    std::lock_guard lock(grant->mutex);
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
  std::unique_lock lock(grant_->mutex);
  grant_->granted.wait(lock, [&] { return grant_->started; });
  lock.unlock();
  admission_.finish();
}

bool AdmissionSlot::wait(const std::function<bool()>& keep_waiting,
                         std::chrono::milliseconds poll) {
  std::unique_lock lock(grant_->mutex);
  while (!grant_->started) {
    if (grant_->granted.wait_for(lock, poll, [&] { return grant_->started; })) break;
    lock.unlock();
    bool go_on = keep_waiting();
    lock.lock();
    if (!go_on && !grant_->started) return false;
  }
  return true;
}

}  // namespace weft::http
