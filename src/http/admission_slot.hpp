// One HTTP generation's place in the daemon's Admission (the limits the inferd sockets share):
// submitted on construction (429 when the queue is full), waited for, and released exactly
// once on destruction whatever happened meanwhile (withdrawn while queued, finished when it
// ran), so a client that goes away never leaks a slot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>

#include "server/admission.hpp"
#include "sync/mutex.hpp"

namespace weft::http {

class AdmissionSlot {
 public:
  // Throws ApiException 429 (with the queue limit in the message) when rejected.
  AdmissionSlot(server::Admission& admission, server::Admission::Ticket ticket);
  ~AdmissionSlot();
  AdmissionSlot(const AdmissionSlot&) = delete;
  AdmissionSlot& operator=(const AdmissionSlot&) = delete;

  // Blocks until the slot is granted (true), or until `keep_waiting` returns false, asked
  // every `poll` (false: the caller gives up; the destructor withdraws).
  bool wait(const std::function<bool()>& keep_waiting,
            std::chrono::milliseconds poll = std::chrono::milliseconds(100));

 private:
  struct Grant {
    sync::Mutex mutex;
    std::condition_variable granted;
    bool started WEFT_GUARDED_BY(mutex) = false;
  };

  server::Admission& admission_;
  const server::Admission::Ticket ticket_;
  std::shared_ptr<Grant> grant_ = std::make_shared<Grant>();
};

}  // namespace weft::http
