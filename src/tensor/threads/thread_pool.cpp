#include "tensor/threads/thread_pool.hpp"

#include <algorithm>
#include <utility>

#include "sync/mutex.hpp"

namespace weft::tensor {
namespace {

// About 20-100 µs of spinning: longer than the gap between two matrix products of a
// decode step, far shorter than the time between tokens of an idle server.
constexpr int kSpinIterations = 1 << 12;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(threads - 1);
  for (unsigned worker = 1; worker < threads; ++worker) {
    workers_.emplace_back([this, worker] { worker_loop(worker); });
  }
}

ThreadPool::~ThreadPool() {
  {
    sync::MutexLock lock(mutex_);
    stopping_.store(true);
  }
  work_ready_.notify_all();
  for (auto& thread : workers_) thread.join();
}

void ThreadPool::run_share(unsigned worker) {
  const int64_t threads = size();
  const int64_t begin = count_ * worker / threads;
  const int64_t end = count_ * (worker + 1) / threads;
  if (begin >= end) return;
  try {
    (*body_)(begin, end, worker);
  } catch (...) {
    sync::MutexLock lock(mutex_);
    if (!failure_) failure_ = std::current_exception();
  }
}

void ThreadPool::rethrow_failure() {
  std::exception_ptr failure;
  {
    sync::MutexLock lock(mutex_);
    failure = std::exchange(failure_, nullptr);
  }
  if (failure) std::rethrow_exception(failure);
}

void ThreadPool::parallel_for(int64_t count, const RangeBody& body) {
  if (count <= 0) return;
  if (workers_.empty() || count == 1) {
    body(0, count, 0);
    return;
  }
  body_ = &body;
  count_ = count;
  pending_.store(static_cast<unsigned>(workers_.size()), std::memory_order_relaxed);
  {
    // Under the lock so that a worker about to sleep cannot miss the new generation.
    sync::MutexLock lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  work_ready_.notify_all();  // no system call when every worker is spinning
  run_share(0);
  wait_for_workers();
  rethrow_failure();
}

void ThreadPool::wait_for_workers() {
  for (int spin = 0; spin < kSpinIterations; ++spin) {
    if (pending_.load(std::memory_order_acquire) == 0) return;
    cpu_relax();
  }
  sync::MutexLock lock(mutex_);
  while (pending_.load(std::memory_order_acquire) != 0) lock.wait(work_done_);
}

bool ThreadPool::wait_for_work(uint64_t seen) {
  for (int spin = 0; spin < kSpinIterations; ++spin) {
    if (stopping_.load(std::memory_order_relaxed)) return false;
    if (generation_.load(std::memory_order_acquire) != seen) return true;
    cpu_relax();
  }
  sync::MutexLock lock(mutex_);
  while (!stopping_.load() && generation_.load(std::memory_order_acquire) == seen) {
    lock.wait(work_ready_);
  }
  return !stopping_.load();
}

void ThreadPool::worker_loop(unsigned worker) {
  uint64_t seen = 0;
  for (;;) {
    if (!wait_for_work(seen)) return;
    seen = generation_.load(std::memory_order_acquire);
    run_share(worker);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      sync::MutexLock lock(mutex_);
      work_done_.notify_one();
    }
  }
}

}  // namespace weft::tensor
