// Ctrl-C for an interactive command, without a signal handler or global state: SIGINT is
// blocked in every thread and one thread waits for it. While an answer is being written a
// Ctrl-C cancels that answer's stream; otherwise it makes wake_fd() readable so that the
// prompt, waiting in poll(), learns of it.
#pragma once

#include <signal.h>

#include <atomic>
#include <thread>

#include "sync/mutex.hpp"
#include "weft/generation.hpp"

namespace weft::cli {

class InterruptWatcher {
 public:
  // Construct before any other thread starts, so that they all inherit the blocked SIGINT.
  InterruptWatcher();
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  // The stream a Ctrl-C should cancel now, or null.
  void set_stream(GenerationStream* stream);
  int wake_fd() const { return pipe_[0]; }
  // Empties the wake pipe; true if a Ctrl-C had arrived.
  bool take_interrupt();

 private:
  void run();

  sync::Mutex mutex_;
  GenerationStream* stream_ WEFT_GUARDED_BY(mutex_) = nullptr;
  int pipe_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  sigset_t previous_mask_ WEFT_GUARDED_BY(mutex_){};
  std::thread thread_;
};

}  // namespace weft::cli
