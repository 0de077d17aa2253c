// Threads that consume generation streams, so the event loop never waits on a backend.
// Finished threads are joined when the next one starts, the rest by join_all().
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "sync/mutex.hpp"

namespace weft::server {

class WorkerSet {
 public:
  WorkerSet() = default;
  WorkerSet(const WorkerSet&) = delete;
  WorkerSet& operator=(const WorkerSet&) = delete;
  ~WorkerSet() { join_all(); }

  void spawn(std::function<void()> work);
  void join_all();
  size_t running() const;

 private:
  void reap_finished();

  mutable sync::Mutex mutex_;
  uint64_t next_id_ WEFT_GUARDED_BY(mutex_) = 0;
  std::map<uint64_t, std::thread> threads_;
  std::vector<uint64_t> finished_ WEFT_GUARDED_BY(mutex_);
};

}  // namespace weft::server
