// The public Context API: every way a context can come to hold its tokens (appended, forked,
// adopted from the prefix cache, reopened or taken from a snapshot, truncated) gives the
// next-token logits of a runtime that recomputes those tokens from scratch with no cache.
#include "weft/context.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "support/llama_context_runtimes.hpp"
#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

constexpr double kContextApiTolerance = 1e-5;

class ContextApi : public ::testing::Test, public test::LlamaContextRuntimes {
 protected:
  void SetUp() override {
    open_runtimes(/*reference_kernels=*/true);
    ASSERT_GE(tokens_.size(), 150u);
  }

  void TearDown() override { expect_runtimes_idle(); }

  void expect_recomputed(const Context& context) {
    auto fresh = recompute_->create();
    fresh.append(context.tokens());
    const auto difference = test::compare_logits(context.logits(), fresh.logits());
    EXPECT_LE(difference.max_abs, kContextApiTolerance)
        << "after " << context.length() << " tokens";
  }
};

TEST_F(ContextApi, EveryPathGivesTheLogitsOfRecomputation) {
  auto context = runtime_->create();
  EXPECT_TRUE(context.logits().empty());
  context.append(slice(0, 40));
  EXPECT_EQ(context.length(), 40);
  ASSERT_EQ(static_cast<int64_t>(context.logits().size()), runtime_->vocabulary_size());
  expect_recomputed(context);

  const auto copied_before = runtime_->stats().copied_kv_slots;
  context.save("prompt");  // a fork kept in the store
  auto branch = context.fork();
  // Each fork copies only the slots of the partly filled last page.
  EXPECT_EQ(runtime_->stats().copied_kv_slots - copied_before, 2 * (40 % 16));
  branch.append(slice(40, 47));
  expect_recomputed(branch);
  context.append(slice(90, 93));
  expect_recomputed(context);

  // Starts like the first prompt: its first two pages come from the prefix cache.
  const auto before = runtime_->usage().pages_in_use;
  auto reused = runtime_->create();
  auto prompt = slice(0, 35);
  const auto tail = slice(120, 130);
  prompt.insert(prompt.end(), tail.begin(), tail.end());
  const auto copied_before_reuse = runtime_->stats().copied_kv_slots;
  reused.append(prompt);
  EXPECT_EQ(runtime_->usage().pages_in_use, before + 1) << "the shared prefix was recomputed";
  EXPECT_EQ(runtime_->stats().copied_kv_slots, copied_before_reuse) << "adoption copied slots";
  expect_recomputed(reused);

  auto reopened = runtime_->open_snapshot("prompt");
  EXPECT_EQ(reopened.tokens(), slice(0, 40));
  expect_recomputed(reopened);
  auto taken = runtime_->take_snapshot("prompt");
  EXPECT_TRUE(runtime_->snapshots().empty());
  EXPECT_THROW(runtime_->open_snapshot("prompt"), Error);
  EXPECT_TRUE(std::ranges::equal(taken.logits(), reopened.logits()));

  taken.truncate(21);
  EXPECT_EQ(taken.tokens(), slice(0, 21));
  expect_recomputed(taken);
  taken.append(slice(60, 62));
  expect_recomputed(taken);
  EXPECT_THROW(taken.truncate(100), Error);

  const auto name = reused.snapshot();
  reused.release();
  EXPECT_EQ(reused.length(), 0);
  auto back = runtime_->open_snapshot(name);
  expect_recomputed(back);
}

TEST_F(ContextApi, AFailedAppendLeavesTheContextAsItWas) {
  auto context = runtime_->create();
  context.append(slice(0, 10));
  const auto logits = std::vector<float>(context.logits().begin(), context.logits().end());
  const std::vector<int32_t> bad = {5, static_cast<int32_t>(runtime_->vocabulary_size())};
  EXPECT_THROW(context.append(bad), Error);
  EXPECT_EQ(context.length(), 10);
  EXPECT_TRUE(std::ranges::equal(context.logits(), logits));
  context.append(slice(10, 12));
  expect_recomputed(context);
  context.append(context.tokens());  // its own tokens again: the argument aliases the context
  EXPECT_EQ(context.length(), 24);
  expect_recomputed(context);
}

}  // namespace
}  // namespace weft
