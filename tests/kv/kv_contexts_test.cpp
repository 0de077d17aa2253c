// Forks, snapshots, truncation and prefix reuse against the fixture models: whatever path a
// sequence's pages took (shared, copied, cached, reopened), its next-token logits equal a
// from-scratch evaluation of the same tokens. The reference kernels give bit-identical rows
// however a sequence is split into passes, so only float rounding is allowed.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "kv/kv_sequence.hpp"
#include "kv/prefix_index.hpp"
#include "kv/snapshot_store.hpp"
#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "support/pool_accounting.hpp"
#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

constexpr double kKvContextsTolerance = 1e-5;
constexpr int64_t kContextPageTokens = 16;

class KvContexts : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string arch = GetParam();
    model_ = model::Model::load(
        test::shared_path("fixtures/" + arch + "/" + arch + "-f32.gguf").string());
    make_engine(64);
    tokens_ = test::read_token_ids(
        test::shared_path("fixtures/" + arch + "/reference/" + arch + "-f32.long.tokens.txt"));
    ASSERT_GE(tokens_.size(), 150u);
  }

  void make_engine(int64_t pages) {
    runtime::EngineOptions options;
    options.threads = 2;
    options.kernels = tensor::KernelChoice::reference;
    options.kv_type = tensor::ElementType::F32;
    options.page_tokens = kContextPageTokens;
    options.kv_pages = pages;
    engine_ = std::make_unique<runtime::Engine>(model_, options);
  }

  // Every test must leave no page held by anyone.
  void TearDown() override { test::expect_pool_idle(engine_->pages()); }

  std::vector<int32_t> slice(size_t begin, size_t end) const {
    return {tokens_.begin() + static_cast<ptrdiff_t>(begin),
            tokens_.begin() + static_cast<ptrdiff_t>(end)};
  }

  // Appends `tokens` in one pass; the logits after the last one.
  std::vector<float> append(kv::KvSequence& sequence, const std::vector<int32_t>& tokens) {
    std::vector<runtime::ForwardRow> rows;
    for (size_t i = 0; i < tokens.size(); ++i) {
      rows.push_back({&sequence, tokens[i], sequence.length() + static_cast<int64_t>(i),
                      i + 1 == tokens.size(), false});
    }
    runtime::ForwardOutputs outputs;
    engine_->forward(rows, outputs);
    const auto last = outputs.logits_at(0);
    return {last.begin(), last.end()};
  }

  std::vector<float> from_scratch(const std::vector<int32_t>& tokens) {
    auto sequence = engine_->new_sequence();
    return append(sequence, tokens);
  }

  static std::vector<int32_t> joined(std::vector<int32_t> head, const std::vector<int32_t>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  }

  static void expect_close(const std::vector<float>& actual, const std::vector<float>& expected) {
    const auto difference = test::compare_logits(actual, expected);
    EXPECT_LE(difference.max_abs, kKvContextsTolerance)
        << "worst at vocabulary index " << difference.worst_index;
  }

  std::shared_ptr<const model::Model> model_;
  std::unique_ptr<runtime::Engine> engine_;
  std::vector<int32_t> tokens_;
};

TEST_P(KvContexts, ForkSharesFullPagesAndContinuesIndependently) {
  auto& pool = engine_->pages();
  const auto prompt = slice(0, 37);  // two full pages and 5 slots of a third
  auto original = engine_->new_sequence();
  append(original, prompt);
  const int64_t pages_before = pool.pages_in_use();
  const int64_t copied_before = pool.copied_slots();

  auto forked = original.fork();
  // Only the tail's slots are copied: 37 % 16, never the bytes of a full page.
  EXPECT_EQ(pool.copied_slots() - copied_before, 37 % kContextPageTokens);
  EXPECT_EQ(forked.length(), original.length());
  ASSERT_EQ(forked.pages().size(), 3u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(forked.pages()[i], original.pages()[i]) << "full page " << i << " was not shared";
    EXPECT_EQ(pool.ref_count(original.pages()[i]), 2u);
  }
  EXPECT_NE(forked.pages()[2], original.pages()[2]) << "the partly filled page must be copied";
  EXPECT_EQ(pool.pages_in_use(), pages_before + 1) << "fork took more than the one tail page";

  const auto original_tail = slice(37, 45);
  const auto forked_tail = slice(100, 112);
  const auto original_logits = append(original, original_tail);
  const auto forked_logits = append(forked, forked_tail);
  expect_close(original_logits, from_scratch(joined(prompt, original_tail)));
  expect_close(forked_logits, from_scratch(joined(prompt, forked_tail)));
}

TEST_P(KvContexts, ForkAtAPageBoundaryTakesNoPage) {
  auto& pool = engine_->pages();
  auto original = engine_->new_sequence();
  append(original, slice(0, 2 * kContextPageTokens));
  const int64_t pages_before = pool.pages_in_use();
  const int64_t copied_before = pool.copied_slots();
  auto forked = original.fork();
  EXPECT_EQ(pool.pages_in_use(), pages_before);
  EXPECT_EQ(pool.copied_slots(), copied_before) << "a fork at a page boundary copied KV slots";
  EXPECT_TRUE(std::ranges::equal(forked.pages(), original.pages()));
  // Both append into fresh pages of their own.
  const auto tail = slice(50, 53);
  expect_close(append(forked, tail), append(original, tail));
  EXPECT_NE(forked.pages().back(), original.pages().back());
}

TEST_P(KvContexts, ReopenedSnapshotGivesIdenticalNextTokenLogits) {
  auto& pool = engine_->pages();
  kv::SnapshotStore store(pool);
  const auto prompt = slice(0, 41);
  const auto next = slice(41, 42);
  {
    auto sequence = engine_->new_sequence();
    append(sequence, prompt);
    store.save("prompt", sequence, prompt);
    EXPECT_THROW(store.save("prompt", sequence), Error);
    const auto generated = store.snapshot(sequence);
    EXPECT_TRUE(store.contains(generated));
    store.remove(generated);
  }
  EXPECT_GT(pool.usage().snapshot_references, 0);
  EXPECT_EQ(pool.usage().sequence_references, 0);
  const auto expected = from_scratch(joined(prompt, next));
  {
    auto first = store.open("prompt");
    auto second = store.open("prompt");
    const auto first_logits = append(first, next);
    EXPECT_EQ(first_logits, append(second, next));  // same pages, same pass: bit-identical
    expect_close(first_logits, expected);
  }
  EXPECT_EQ(store.tokens("prompt"), prompt);
  auto taken = store.take("prompt");
  EXPECT_FALSE(store.contains("prompt"));
  EXPECT_EQ(pool.usage().snapshot_references, 0);
  EXPECT_THROW(store.open("prompt"), Error);
  EXPECT_THROW(store.remove("prompt"), Error);
  expect_close(append(taken, next), expected);
}

TEST_P(KvContexts, TruncateIntoASharedPageThenReappendEqualsFresh) {
  auto& pool = engine_->pages();
  const auto prompt = slice(0, 40);
  auto original = engine_->new_sequence();
  append(original, prompt);
  auto forked = original.fork();
  forked.truncate(20);  // into page 1, which `original` still holds
  EXPECT_EQ(forked.length(), 20);
  EXPECT_EQ(forked.pages().size(), 2u);
  EXPECT_EQ(pool.ref_count(original.pages()[1]), 2u);

  const auto other_tail = slice(120, 135);
  const auto forked_logits = append(forked, other_tail);
  EXPECT_NE(forked.pages()[1], original.pages()[1]) << "a shared page was written in place";
  expect_close(forked_logits, from_scratch(joined(slice(0, 20), other_tail)));
  const auto next = slice(40, 44);
  expect_close(append(original, next), from_scratch(joined(prompt, next)));

  original.truncate(0);
  EXPECT_TRUE(original.pages().empty());
  EXPECT_THROW(forked.truncate(forked.length() + 1), Error);
}

TEST_P(KvContexts, PrefixReuseGivesTheLogitsOfRecomputation) {
  auto& pool = engine_->pages();
  kv::PrefixIndex index(pool);
  const auto first_prompt = slice(0, 45);
  {
    auto sequence = engine_->new_sequence();
    append(sequence, first_prompt);
    EXPECT_EQ(index.publish(sequence, first_prompt), 2u);
    EXPECT_EQ(index.publish(sequence, first_prompt), 0u);
  }
  EXPECT_EQ(pool.pages_in_use(), 2) << "cached pages must outlive their request";
  EXPECT_EQ(pool.usage().prefix_cache_references, 2);

  // Shares 40 tokens with the first prompt: two cached pages, then its own tokens.
  const auto second_prompt = joined(slice(0, 40), slice(130, 150));
  auto sequence = engine_->new_sequence();
  const std::span<const int32_t> all_but_last(second_prompt.data(), second_prompt.size() - 1);
  const int64_t copied_before = pool.copied_slots();
  EXPECT_EQ(index.adopt_prefix(sequence, all_but_last), 2 * kContextPageTokens);
  EXPECT_EQ(pool.copied_slots(), copied_before) << "adopting cached pages copied KV slots";
  const std::vector<int32_t> rest(second_prompt.begin() + 2 * kContextPageTokens,
                                  second_prompt.end());
  expect_close(append(sequence, rest), from_scratch(second_prompt));

  // A prompt differing inside the first page matches nothing.
  auto different = slice(0, 40);
  different[3] = different[4];
  EXPECT_EQ(index.match(different).length, 0);
  sequence.release();
  index.clear();
}

TEST_P(KvContexts, CachedPagesAreEvictedLeastRecentlyUsedWhenThePoolIsShort) {
  make_engine(5);
  auto& pool = engine_->pages();
  kv::PrefixIndex index(pool);
  const auto first = slice(0, 32);
  const auto second = slice(60, 92);
  for (const auto* prompt : {&first, &second}) {
    auto sequence = engine_->new_sequence();
    append(sequence, *prompt);
    index.publish(sequence, *prompt);
  }
  EXPECT_EQ(pool.pages_in_use(), 4);
  EXPECT_EQ(index.match(first).length, 32);  // `first` is now the most recently used

  // Needs 3 pages with 1 free: the two pages of `second` give way.
  const auto third = slice(100, 148);
  const auto logits = from_scratch(third);
  EXPECT_EQ(index.cached_pages(), 2u);
  EXPECT_EQ(index.match(second).length, 0);
  EXPECT_EQ(index.match(first).length, 32);

  // Pages a live sequence holds are never evicted: the pool is then really full.
  auto holder = engine_->new_sequence();
  EXPECT_EQ(index.adopt_prefix(holder, first), 32);
  std::vector<kv::KvSequence> others;
  others.push_back(engine_->new_sequence());
  append(others.back(), slice(0, 48));
  try {
    append(holder, slice(32, 33));
    FAIL() << "a full pool handed out a page";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::queue_full);
  }
  EXPECT_EQ(index.match(first).length, 32);
  others.clear();
  holder.release();
  index.clear();
  expect_close(from_scratch(third), logits);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, KvContexts, ::testing::Values("llama", "qwen2"));

}  // namespace
}  // namespace weft
