#include "tensor/threads/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace weft::tensor {
namespace {

TEST(ThreadPool, EveryIndexRunsExactlyOnceOnAValidWorker) {
  for (unsigned threads : {1u, 2u, 3u, 5u}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t count : {0, 1, 2, 7, 100}) {
      std::vector<std::atomic<int>> visits(static_cast<size_t>(count));
      std::atomic<bool> bad_worker{false};
      pool.parallel_for(count, [&](int64_t begin, int64_t end, unsigned worker) {
        if (worker >= threads) bad_worker = true;
        for (int64_t i = begin; i < end; ++i) ++visits[static_cast<size_t>(i)];
      });
      EXPECT_FALSE(bad_worker);
      for (const auto& v : visits)
        EXPECT_EQ(v.load(), 1) << "threads " << threads << " count " << count;
    }
  }
}

TEST(ThreadPool, RunsManyLoopsInARow) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  for (int round = 0; round < 500; ++round) {
    pool.parallel_for(10, [&](int64_t begin, int64_t end, unsigned) { total += end - begin; });
  }
  EXPECT_EQ(total.load(), 5000);
}

// A body that throws on any thread, the caller's share or a worker's, reaches the caller once
// every share has ended; the pool then runs the next loop as usual.
TEST(ThreadPool, AnExceptionOnAnyThreadReachesTheCallerAfterEveryShareEnds) {
  ThreadPool pool(3);
  for (int64_t throwing_index : {0, 5, 9}) {
    std::atomic<int64_t> finished{0};
    EXPECT_THROW(pool.parallel_for(10,
                                   [&](int64_t begin, int64_t end, unsigned) {
                                     for (int64_t i = begin; i < end; ++i) {
                                       if (i == throwing_index) throw std::runtime_error("bad row");
                                       ++finished;
                                     }
                                   }),
                 std::runtime_error)
        << "index " << throwing_index;
    // Only the throwing share stops early: the other shares all ran before the rethrow.
    EXPECT_GE(finished.load(), 10 - 4) << "index " << throwing_index;
    std::atomic<int64_t> total{0};
    pool.parallel_for(10, [&](int64_t begin, int64_t end, unsigned) { total += end - begin; });
    EXPECT_EQ(total.load(), 10);
  }
}

}  // namespace
}  // namespace weft::tensor
