// A fixed set of worker threads that split one loop at a time between them. The calling
// thread is one of the workers, so a pool of N threads starts N-1 of its own.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace weft::tensor {

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
  using RangeBody = std::function<void(int64_t begin, int64_t end, unsigned worker)>;
  void parallel_for(int64_t count, const RangeBody& body);

 private:
  void worker_loop(unsigned worker);
  void run_share(unsigned worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  const RangeBody* body_ = nullptr;
  int64_t count_ = 0;
  uint64_t generation_ = 0;
  unsigned pending_ = 0;
  bool stopping_ = false;
};

}  // namespace weft::tensor
