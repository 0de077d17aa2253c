// Threads that consume generation streams, so the event loop never waits on a backend.
// Finished threads are joined when the next one starts, the rest by join_all().
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

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

  mutable std::mutex mutex_;
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::thread> threads_;
  std::vector<uint64_t> finished_;
};

}  // namespace weft::server
