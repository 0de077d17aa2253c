// A mutex that clang's thread-safety analysis (-Wthread-safety) understands, and the
// annotations that say which members it guards. libstdc++'s std::mutex carries no
// annotations, so members marked WEFT_GUARDED_BY(mutex_) are checked only when the mutex is
// this Mutex and held through MutexLock. Under GCC the annotations are empty; the clang
// builds (ASan, TSan) compile every library file with -Wthread-safety -Werror.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

#if defined(__clang__)
#define WEFT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define WEFT_THREAD_ANNOTATION(x)
#endif

#define WEFT_CAPABILITY(name) WEFT_THREAD_ANNOTATION(capability(name))
#define WEFT_SCOPED_CAPABILITY WEFT_THREAD_ANNOTATION(scoped_lockable)
#define WEFT_GUARDED_BY(mutex) WEFT_THREAD_ANNOTATION(guarded_by(mutex))
#define WEFT_REQUIRES(...) WEFT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define WEFT_ACQUIRE(...) WEFT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define WEFT_RELEASE(...) WEFT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define WEFT_TRY_ACQUIRE(...) WEFT_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// For the few places the analysis cannot follow (a lock set chosen at run time); say why
// beside each use.
#define WEFT_NO_THREAD_SAFETY_ANALYSIS WEFT_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace weft::sync {

class MutexLock;

class WEFT_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() WEFT_ACQUIRE() { mutex_.lock(); }
  void unlock() WEFT_RELEASE() { mutex_.unlock(); }
  bool try_lock() WEFT_TRY_ACQUIRE(true) { return mutex_.try_lock(); }

 private:
  friend class MutexLock;
  std::mutex mutex_;
};

// Holds a Mutex for its scope (or until unlock()), and waits on condition variables with it.
// Wait in a loop on the guarded condition (`while (!ready_) lock.wait(changed_);`): the
// analysis then sees every read of a guarded member under the lock.
class WEFT_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) WEFT_ACQUIRE(mutex) : lock_(mutex.mutex_) {}
  ~MutexLock() WEFT_RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void lock() WEFT_ACQUIRE() { lock_.lock(); }
  void unlock() WEFT_RELEASE() { lock_.unlock(); }
  bool owns_lock() const { return lock_.owns_lock(); }

  void wait(std::condition_variable& condition) { condition.wait(lock_); }
  template <class Clock, class Duration>
  std::cv_status wait_until(std::condition_variable& condition,
                            std::chrono::time_point<Clock, Duration> deadline) {
    return condition.wait_until(lock_, deadline);
  }
  // With a predicate: true when `ready()` holds, false when the time ran out first. Mark the
  // predicate WEFT_REQUIRES(the mutex) so that its reads of guarded members are checked:
  // `[&]() WEFT_REQUIRES(mutex_) { return done_; }`. (These two are the primitive that runs
  // it under the lock, which the analysis cannot see through std::unique_lock.)
  template <class Rep, class Period, class Predicate>
  bool wait_for(std::condition_variable& condition, std::chrono::duration<Rep, Period> timeout,
                Predicate ready) WEFT_NO_THREAD_SAFETY_ANALYSIS {
    return condition.wait_for(lock_, timeout, std::move(ready));
  }
  template <class Clock, class Duration, class Predicate>
  bool wait_until(std::condition_variable& condition,
                  std::chrono::time_point<Clock, Duration> deadline,
                  Predicate ready) WEFT_NO_THREAD_SAFETY_ANALYSIS {
    return condition.wait_until(lock_, deadline, std::move(ready));
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace weft::sync
