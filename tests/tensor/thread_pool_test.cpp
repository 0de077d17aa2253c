#include "tensor/threads/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
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

}  // namespace
}  // namespace weft::tensor
