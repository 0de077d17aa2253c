// A fixed set of worker threads that split one loop at a time between them. The calling
// thread is one of the workers, so a pool of N threads starts N-1 of its own.
//
// A decode step runs a few hundred short loops, so hand-offs must be cheap: idle workers
// spin briefly on an atomic generation counter before sleeping on a condition variable,
// the caller spins briefly before waiting for them, and the loop body is passed as a
// non-owning reference (no allocation per loop).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "sync/mutex.hpp"

namespace weft::tensor {

// A non-owning reference to a callable body(begin, end, worker); the callable must outlive
// the parallel_for call it is passed to (a temporary lambda argument does).
class RangeBody {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, RangeBody>)
      RangeBody(F&& callable)  // NOLINT: implicit, so lambdas pass directly
      : object_(const_cast<void*>(static_cast<const void*>(&callable))),
        call_([](void* object, int64_t begin, int64_t end, unsigned worker) {
          (*static_cast<std::remove_reference_t<F>*>(object))(begin, end, worker);
        }) {}

  void operator()(int64_t begin, int64_t end, unsigned worker) const {
    call_(object_, begin, end, worker);
  }

 private:
  void* object_;
  void (*call_)(void*, int64_t, int64_t, unsigned);
};

class ThreadPool {
 public:
  // `threads` == 0 picks the hardware concurrency.
  explicit ThreadPool(unsigned threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Calls body(begin, end, worker) on disjoint contiguous ranges that cover [0, count);
  // worker < size() identifies the caller's per-thread scratch. Blocks until all are done.
  // The split depends only on `count` and size(), so results never depend on timing.
  // An exception thrown by the body on any thread reaches the caller (the first one, after
  // every share has ended), so a body may validate as it goes.
  void parallel_for(int64_t count, const RangeBody& body);

 private:
  void worker_loop(unsigned worker);
  void run_share(unsigned worker);
  void wait_for_workers();
  void rethrow_failure();
  // Waits until `generation_` differs from `seen` or the pool stops; returns false on stop.
  bool wait_for_work(uint64_t seen);

  std::vector<std::thread> workers_;
  sync::Mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  // The job: written by parallel_for, published to the workers by generation_'s release.
  const RangeBody* body_ = nullptr;
  int64_t count_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<unsigned> pending_{0};
  std::atomic<bool> stopping_{false};
  std::exception_ptr failure_ WEFT_GUARDED_BY(mutex_);  // the current job's first exception
};

// parallel_for for loops of at least `min_count` items; shorter ones run on the calling
// thread, where they cost less than waking the workers.
inline void parallel_for_from(ThreadPool& pool, int64_t min_count, int64_t count,
                              const RangeBody& body) {
  if (count >= min_count) {
    pool.parallel_for(count, body);
  } else if (count > 0) {
    body(0, count, 0);
  }
}

}  // namespace weft::tensor
