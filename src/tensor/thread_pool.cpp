#include "tensor/thread_pool.hpp"

#include <algorithm>

namespace weft::tensor {

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(threads - 1);
  for (unsigned worker = 1; worker < threads; ++worker) {
    workers_.emplace_back([this, worker] { worker_loop(worker); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& thread : workers_) thread.join();
}

void ThreadPool::run_share(unsigned worker) {
  const int64_t threads = size();
  const int64_t begin = count_ * worker / threads;
  const int64_t end = count_ * (worker + 1) / threads;
  if (begin < end) (*body_)(begin, end, worker);
}

void ThreadPool::parallel_for(int64_t count, const RangeBody& body) {
  if (count <= 0) return;
  if (workers_.empty() || count == 1) {
    body(0, count, 0);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    body_ = &body;
    count_ = count;
    pending_ = static_cast<unsigned>(workers_.size());
    ++generation_;
  }
  work_ready_.notify_all();
  run_share(0);
  std::unique_lock lock(mutex_);
  work_done_.wait(lock, [this] { return pending_ == 0; });
  body_ = nullptr;
}

void ThreadPool::worker_loop(unsigned worker) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    run_share(worker);
    {
      std::lock_guard lock(mutex_);
      if (--pending_ == 0) work_done_.notify_one();
    }
  }
}

}  // namespace weft::tensor
