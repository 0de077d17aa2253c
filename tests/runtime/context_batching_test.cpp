// Concurrent appends to different contexts are computed in one model call, give each context
// the logits it gets when appended alone, and fail one by one.
//
// Overlap is made deterministic with the runtime's test seam: the first leader waits before
// it takes the queue until every thread's pass is queued, so all of them must go into one
// Engine::forward.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "runtime/context_state.hpp"
#include "support/pool_accounting.hpp"
#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "weft/context.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

constexpr double kContextBatchingTolerance = 1e-5;
constexpr size_t kThreads = 4;

ContextRuntimeOptions batching_fixture_options(int64_t kv_pages = 48) {
  return {.model_path = test::shared_path("fixtures/llama/llama-f32.gguf").string(),
          .threads = 2,
          .kv_pages = kv_pages,
          .kv_f32 = true,
          .reference_kernels = true,
          .prefix_cache = false};
}

// Makes the next leader wait until `passes` appends are queued (at most ten seconds: on a
// timeout the batch runs with what is queued and the forward-call checks fail).
void combine_next(detail::ContextRuntimeState& state, size_t passes) {
  auto armed = std::make_shared<std::atomic<bool>>(true);
  state.hooks.before_batch = [&state, passes, armed] {
    if (!armed->exchange(false)) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (state.queued_passes() < passes && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
}

class ContextBatching : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_ = test::read_token_ids(
        test::shared_path("fixtures/llama/reference/llama-f32.long.tokens.txt"));
    ASSERT_GE(tokens_.size(), 150u);
  }

  // Thread i's prompt: a different slice for each, of a different length.
  std::vector<int32_t> prompt(size_t thread) const {
    const auto begin = static_cast<ptrdiff_t>(thread * 30);
    return {tokens_.begin() + begin, tokens_.begin() + begin + 20 + static_cast<ptrdiff_t>(thread)};
  }

  static std::vector<float> alone(const std::vector<int32_t>& tokens) {
    auto runtime = ContextRuntime::open(batching_fixture_options());
    auto context = runtime->create();
    context.append(tokens);
    return {context.logits().begin(), context.logits().end()};
  }

  std::vector<int32_t> tokens_;
};

TEST_F(ContextBatching, ConcurrentAppendsShareOneModelCallAndMatchAppendsAlone) {
  auto runtime = ContextRuntime::open(batching_fixture_options());
  auto& state = detail::ContextRuntimeAccess::state(*runtime);
  {
    std::vector<Context> contexts;
    for (size_t i = 0; i < kThreads; ++i) contexts.push_back(runtime->create());
    std::vector<std::vector<float>> prefill(kThreads);
    std::vector<std::vector<float>> decode(kThreads);
    std::barrier start(static_cast<ptrdiff_t>(kThreads));
    const int32_t next_token = tokens_[140];

    combine_next(state, kThreads);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        const auto tokens = prompt(i);
        start.arrive_and_wait();
        contexts[i].append(tokens);
        prefill[i].assign(contexts[i].logits().begin(), contexts[i].logits().end());
      });
    }
    for (auto& thread : threads) thread.join();
    threads.clear();
    const auto after_prefill = runtime->stats();
    EXPECT_EQ(after_prefill.forward_calls, 1);
    EXPECT_EQ(after_prefill.passes, static_cast<int64_t>(kThreads));
    int64_t prompt_rows = 0;
    for (size_t i = 0; i < kThreads; ++i) prompt_rows += static_cast<int64_t>(prompt(i).size());
    EXPECT_EQ(after_prefill.rows, prompt_rows);

    // A decode step each, again combined: one row per context in one call.
    combine_next(state, kThreads);
    for (size_t i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        contexts[i].append(std::vector<int32_t>{next_token});
        decode[i].assign(contexts[i].logits().begin(), contexts[i].logits().end());
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(runtime->stats().forward_calls, 2);
    EXPECT_EQ(runtime->stats().rows, prompt_rows + static_cast<int64_t>(kThreads));

    for (size_t i = 0; i < kThreads; ++i) {
      auto tokens = prompt(i);
      EXPECT_LE(test::compare_logits(prefill[i], alone(tokens)).max_abs, kContextBatchingTolerance)
          << "context " << i << " after its prompt";
      tokens.push_back(next_token);
      EXPECT_EQ(contexts[i].tokens(), tokens);
      EXPECT_LE(test::compare_logits(decode[i], alone(tokens)).max_abs, kContextBatchingTolerance)
          << "context " << i << " after a decode step";
    }
  }
  test::expect_pool_idle(*runtime);
}

TEST_F(ContextBatching, APassThatBreaksTheCombinedCallFailsAlone) {
  auto runtime = ContextRuntime::open(batching_fixture_options());
  auto& state = detail::ContextRuntimeAccess::state(*runtime);
  // Stands for a pass that passes validation yet makes the model call throw.
  const auto poison = static_cast<int32_t>(runtime->vocabulary_size() - 1);
  state.hooks.before_forward = [poison](std::span<const runtime::ForwardRow> rows) {
    if (std::ranges::any_of(rows, [poison](const auto& row) { return row.token == poison; })) {
      throw Error(ErrorCode::internal, "the model call broke");
    }
  };
  {
    std::vector<Context> contexts;
    for (size_t i = 0; i < kThreads; ++i) {
      contexts.push_back(runtime->create());
      contexts.back().append(prompt(i));
      ASSERT_EQ(std::ranges::count(prompt(i), poison), 0);
    }
    const auto before = runtime->stats();
    const std::vector<float> logits_before(contexts[0].logits().begin(),
                                           contexts[0].logits().end());
    std::vector<int> failures(kThreads, 0);
    std::barrier start(static_cast<ptrdiff_t>(kThreads));
    combine_next(state, kThreads);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        std::vector<int32_t> more(tokens_.begin() + 100, tokens_.begin() + 103);
        if (i == 0) more[1] = poison;
        start.arrive_and_wait();
        try {
          contexts[i].append(more);
        } catch (const Error&) {
          failures[i] = 1;
        }
      });
    }
    for (auto& thread : threads) thread.join();

    EXPECT_EQ(failures, (std::vector<int>{1, 0, 0, 0}));
    // The combined call, then each pass alone.
    EXPECT_EQ(runtime->stats().forward_calls - before.forward_calls,
              1 + static_cast<int64_t>(kThreads));
    EXPECT_EQ(contexts[0].tokens(), prompt(0));
    EXPECT_EQ(contexts[0].length(), static_cast<int64_t>(prompt(0).size()));
    EXPECT_TRUE(std::ranges::equal(contexts[0].logits(), logits_before));
    for (size_t i = 1; i < kThreads; ++i) {
      auto tokens = prompt(i);
      tokens.insert(tokens.end(), tokens_.begin() + 100, tokens_.begin() + 103);
      EXPECT_EQ(contexts[i].tokens(), tokens);
      EXPECT_LE(test::compare_logits(contexts[i].logits(), alone(tokens)).max_abs,
                kContextBatchingTolerance)
          << "context " << i;
    }
    // The failed context carries on.
    contexts[0].append(std::vector<int32_t>{tokens_[100]});
    auto tokens = prompt(0);
    tokens.push_back(tokens_[100]);
    EXPECT_LE(test::compare_logits(contexts[0].logits(), alone(tokens)).max_abs,
              kContextBatchingTolerance);
  }
  test::expect_pool_idle(*runtime);
}

TEST_F(ContextBatching, APassThePoolCannotHoldFailsAloneAndGivesItsPagesBack) {
  // Six 16-token pages: the short passes need two each, the long one seven (more than the
  // pool has), so it fails whatever order the batch takes them in; had it kept the pages it
  // got before failing, the short passes would fail too.
  auto runtime = ContextRuntime::open(batching_fixture_options(6));
  auto& state = detail::ContextRuntimeAccess::state(*runtime);
  {
    std::vector<Context> contexts;
    for (size_t i = 0; i < 3; ++i) contexts.push_back(runtime->create());
    const std::vector<int32_t> long_prompt(tokens_.begin(), tokens_.begin() + 100);
    std::vector<int> failures(3, 0);
    std::barrier start(3);
    combine_next(state, 3);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < 3; ++i) {
      threads.emplace_back([&, i] {
        const auto tokens = i == 0 ? long_prompt : prompt(i);
        start.arrive_and_wait();
        try {
          contexts[i].append(tokens);
        } catch (const Error&) {
          failures[i] = 1;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures, (std::vector<int>{1, 0, 0}));
    EXPECT_EQ(contexts[0].length(), 0);
    for (size_t i = 1; i < 3; ++i) {
      EXPECT_LE(test::compare_logits(contexts[i].logits(), alone(prompt(i))).max_abs,
                kContextBatchingTolerance);
    }
    EXPECT_EQ(runtime->stats().forward_calls, 1);
  }
  test::expect_pool_idle(*runtime);
}

TEST_F(ContextBatching, AContextAppendingOnOneThreadRefusesASecondAppend) {
  auto runtime = ContextRuntime::open(batching_fixture_options());
  auto& state = detail::ContextRuntimeAccess::state(*runtime);
  {
    auto context = runtime->create();
    std::promise<void> release;
    const auto released = release.get_future().share();
    std::atomic<bool> leading = false;
    state.hooks.before_batch = [&] {
      leading = true;
      released.wait_for(std::chrono::seconds(10));  // bounded: a broken check fails, not hangs
    };
    std::thread first([&] { context.append(prompt(0)); });
    while (!leading) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // The first append is queued and held: the same context cannot start another.
    try {
      context.append(prompt(1));
      ADD_FAILURE() << "a second concurrent append on one context was accepted";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("already appending"), std::string::npos)
          << error.what();
    }
    release.set_value();
    first.join();
    EXPECT_EQ(context.tokens(), prompt(0));
    EXPECT_LE(test::compare_logits(context.logits(), alone(prompt(0))).max_abs,
              kContextBatchingTolerance);
  }
  test::expect_pool_idle(*runtime);
}

TEST_F(ContextBatching, BookkeepingOnOtherContextsRunsBesideAppends) {
  // Forks, snapshots and releases on one thread while others append: the pool's accounting
  // stays exact (and the sanitizer build sees no race).
  auto runtime = ContextRuntime::open(batching_fixture_options());
  {
    auto base = runtime->create();
    base.append(prompt(0));
    std::barrier start(3);
    std::vector<std::thread> threads;
    std::vector<std::vector<float>> logits(2);
    for (size_t i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] {
        auto context = runtime->create();
        start.arrive_and_wait();
        for (size_t step = 0; step < 6; ++step) context.append(prompt(i + 1));
        context.truncate(static_cast<int64_t>(prompt(i + 1).size()));
        logits[i].assign(context.logits().begin(), context.logits().end());
      });
    }
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int round = 0; round < 20; ++round) {
        auto branch = base.fork();
        branch.save("round");
        auto reopened = runtime->take_snapshot("round");
        reopened.release();
        (void)runtime->usage();
      }
    });
    for (auto& thread : threads) thread.join();
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_LE(test::compare_logits(logits[i], alone(prompt(i + 1))).max_abs,
                kContextBatchingTolerance);
    }
    EXPECT_TRUE(runtime->snapshots().empty());
  }
  test::expect_pool_idle(*runtime);
}

}  // namespace
}  // namespace weft
