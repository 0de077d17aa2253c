#include "server/worker_set.hpp"

#include <algorithm>

#include "sync/mutex.hpp"

namespace weft::server {

void WorkerSet::reap_finished() {
  std::vector<std::thread> done;
  {
    sync::MutexLock lock(mutex_);
    for (uint64_t id : finished_) {
      auto found = threads_.find(id);
      if (found == threads_.end()) continue;
      // Never join the calling thread: it is still running the work that spawns.
      if (found->second.get_id() == std::this_thread::get_id()) continue;
      done.push_back(std::move(found->second));
      threads_.erase(found);
    }
    finished_.erase(std::remove_if(finished_.begin(), finished_.end(),
                                   [&](uint64_t id) { return threads_.count(id) == 0; }),
                    finished_.end());
  }
  for (auto& thread : done) thread.join();
}

void WorkerSet::spawn(std::function<void()> work) {
  reap_finished();
  sync::MutexLock lock(mutex_);
  uint64_t id = next_id_++;
  threads_[id] = std::thread([this, id, work = std::move(work)] {
    work();
    sync::MutexLock finished_lock(mutex_);
    finished_.push_back(id);
  });
}

void WorkerSet::join_all() {
  while (true) {
    std::map<uint64_t, std::thread> threads;
    {
      sync::MutexLock lock(mutex_);
      if (threads_.empty()) return;
      threads.swap(threads_);
      finished_.clear();
    }
    for (auto& [id, thread] : threads) thread.join();
  }
}

size_t WorkerSet::running() const {
  sync::MutexLock lock(mutex_);
  return threads_.size() - finished_.size();
}

}  // namespace weft::server
