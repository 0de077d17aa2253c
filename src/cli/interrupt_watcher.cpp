#include "cli/interrupt_watcher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <system_error>

#include "sync/mutex.hpp"

namespace weft::cli {

InterruptWatcher::InterruptWatcher() {
  if (pipe(pipe_) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot create a pipe");
  fcntl(pipe_[0], F_SETFL, O_NONBLOCK);
  sigset_t interrupt;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, SIGINT);
  pthread_sigmask(SIG_BLOCK, &interrupt, &previous_mask_);
  thread_ = std::thread([this] { run(); });
}

InterruptWatcher::~InterruptWatcher() {
  stop_ = true;
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  close(pipe_[0]);
  close(pipe_[1]);
}

void InterruptWatcher::set_stream(GenerationStream* stream) {
  sync::MutexLock lock(mutex_);
  stream_ = stream;
}

bool InterruptWatcher::take_interrupt() {
  char buffer[64];
  bool any = false;
  while (read(pipe_[0], buffer, sizeof buffer) > 0) any = true;
  return any;
}

void InterruptWatcher::run() {
  sigset_t interrupt;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, SIGINT);
  // A short timeout lets the destructor stop the thread without sending it a signal.
  const timespec poll_interval{0, 100'000'000};
  while (!stop_) {
    if (sigtimedwait(&interrupt, nullptr, &poll_interval) != SIGINT) continue;
    sync::MutexLock lock(mutex_);
    if (stream_) {
      stream_->cancel();
    } else {
      char byte = 1;
      [[maybe_unused]] auto written = write(pipe_[1], &byte, 1);
    }
  }
}

}  // namespace weft::cli
