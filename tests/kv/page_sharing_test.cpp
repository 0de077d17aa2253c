// Page sharing without a model: tail-page copies, accounting by holder, the reclaimer hook,
// and the prefix index's chain matching. Pages are filled by bookkeeping (reserve and
// set_length) where their contents do not matter.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "kv/kv_sequence.hpp"
#include "kv/page_pool.hpp"
#include "kv/prefix_index.hpp"
#include "kv/snapshot_store.hpp"
#include "support/pool_accounting.hpp"
#include "weft/error.hpp"

namespace weft::kv {
namespace {

constexpr int64_t kLayers = 2;
constexpr int64_t kDim = 6;
constexpr int64_t kSharedPageTokens = 4;

PagePool make_pool(int64_t pages) {
  return PagePool({.n_layers = kLayers,
                   .kv_dim = kDim,
                   .page_tokens = kSharedPageTokens,
                   .type = tensor::ElementType::F32,
                   .max_pages = pages});
}

TEST(PageSharing, ForkCopiesTheTailSlotsOfEveryLayer) {
  auto pool = make_pool(4);
  KvSequence sequence(pool);
  sequence.reserve(6);  // one full page and two slots of the next
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> keys(kLayers * 6 * kDim), values(kLayers * 6 * kDim);
  for (auto& v : keys) v = normal(rng);
  for (auto& v : values) v = normal(rng);
  for (int64_t layer = 0; layer < kLayers; ++layer) {
    for (int64_t slot = 0; slot < 6; ++slot) {
      const auto at = static_cast<size_t>((layer * 6 + slot) * kDim);
      pool.store(sequence.page_of(slot), layer, sequence.slot_in_page(slot), keys.data() + at,
                 values.data() + at);
    }
  }
  sequence.set_length(6);
  EXPECT_EQ(pool.copied_slots(), 0);
  auto forked = sequence.fork();
  EXPECT_EQ(pool.copied_slots(), 6 % kSharedPageTokens) << "fork copied more than the tail's slots";
  EXPECT_EQ(forked.pages()[0], sequence.pages()[0]);
  EXPECT_NE(forked.pages()[1], sequence.pages()[1]);
  for (int64_t layer = 0; layer < kLayers; ++layer) {
    for (int64_t slot = 0; slot < 6; ++slot) {
      const auto at = static_cast<size_t>((layer * 6 + slot) * kDim);
      std::vector<float> key(kDim), value(kDim);
      pool.load_key(forked.page_of(slot), layer, forked.slot_in_page(slot), 0, kDim, key.data());
      pool.load_value(forked.page_of(slot), layer, forked.slot_in_page(slot), 0, kDim,
                      value.data());
      EXPECT_EQ(key, std::vector<float>(keys.begin() + at, keys.begin() + at + kDim));
      EXPECT_EQ(value, std::vector<float>(values.begin() + at, values.begin() + at + kDim));
    }
  }
  sequence.release();
  forked.release();
  test::expect_pool_idle(pool);
}

TEST(PageSharing, AccountsReferencesByHolder) {
  auto pool = make_pool(8);
  {
    KvSequence sequence(pool);
    sequence.reserve(9);
    sequence.set_length(9);  // 3 pages, the last partly filled
    SnapshotStore store(pool);
    store.save("a", sequence);
    auto usage = pool.usage();
    EXPECT_EQ(usage.pages_in_use, 4);  // 3 + the snapshot's copy of the tail
    EXPECT_EQ(usage.sequence_references, 3);
    EXPECT_EQ(usage.snapshot_references, 3);
    EXPECT_EQ(usage.outside_pages, 3);  // the two shared full pages and the tail's copy
    auto taken = store.take("a");
    usage = pool.usage();
    EXPECT_EQ(usage.sequence_references, 3);
    EXPECT_EQ(usage.context_references, 3);  // a taken snapshot is a context's
    EXPECT_EQ(usage.snapshot_references, 0);
    EXPECT_EQ(usage.outside_pages, 3);
    EXPECT_EQ(usage.pages_in_use, 4);
    sequence.release();
    EXPECT_EQ(pool.usage().outside_pages, 3);
    taken.release();
    EXPECT_EQ(pool.usage().outside_pages, 0);
  }
  EXPECT_TRUE(pool.usage().idle());
}

TEST(PageSharing, ThePoolAsksItsReclaimerBeforeFailing) {
  auto pool = make_pool(2);
  std::vector<PageId> held = {pool.acquire(), pool.acquire()};
  int calls = 0;
  pool.set_reclaimer([&] {
    ++calls;
    if (held.empty()) return false;
    pool.release(held.back());
    held.pop_back();
    return true;
  });
  const PageId page = pool.acquire();
  EXPECT_EQ(calls, 1);
  const PageId second = pool.acquire();
  EXPECT_EQ(calls, 2);
  try {
    pool.acquire();
    FAIL() << "a full pool handed out a page";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::queue_full);
  }
  pool.set_reclaimer(nullptr);
  pool.release(page);
  pool.release(second);
  EXPECT_TRUE(pool.usage().idle());
}

TEST(PageSharing, PrefixMatchesFollowTheWholeChain) {
  auto pool = make_pool(8);
  PrefixIndex index(pool);
  std::vector<int32_t> tokens(10);
  std::iota(tokens.begin(), tokens.end(), 100);
  {
    KvSequence sequence(pool);
    sequence.reserve(10);
    sequence.set_length(10);
    EXPECT_EQ(index.publish(sequence, tokens), 2u);  // the third page is not full
    EXPECT_EQ(index.evictable_pages(), 0u);          // the sequence still holds them
  }
  EXPECT_EQ(index.evictable_pages(), 2u);
  EXPECT_EQ(index.match(tokens).length, 8);
  auto first_page_only = tokens;
  first_page_only[5] = 0;
  EXPECT_EQ(index.match(first_page_only).length, 4);
  // The same second page after a different first page is another key.
  auto other_start = tokens;
  other_start[0] = 0;
  EXPECT_EQ(index.match(other_start).length, 0);
  EXPECT_EQ(index.match(std::span<const int32_t>(tokens.data(), 7)).length, 4);
  index.clear();
  EXPECT_TRUE(pool.usage().idle());
}

// A weak hash (the sum of the page's tokens, ignoring the chain) makes collisions easy: the
// index must still never hand out a page computed after different tokens.
TEST(PageSharing, APrefixHashCollisionIsAMissNotAWrongPage) {
  auto pool = make_pool(8);
  const auto token_sum = [](uint64_t, std::span<const int32_t> page) {
    return std::accumulate(page.begin(), page.end(), uint64_t{0});
  };
  PrefixIndex index(pool, token_sum);
  const std::vector<int32_t> first = {1, 2, 3, 4, 9, 9, 9, 9};
  const std::vector<int32_t> second = {5, 6, 7, 8, 9, 9, 9, 9};  // the same second page
  {
    KvSequence a(pool), b(pool);
    for (auto* sequence : {&a, &b}) {
      sequence->reserve(8);
      sequence->set_length(8);
    }
    EXPECT_EQ(index.publish(a, first), 2u);
    // b's second page has a's key but not a's parent: a collision, so it is not cached.
    EXPECT_EQ(index.publish(b, second), 1u);

    const auto matched = index.match(second);
    EXPECT_EQ(matched.length, kSharedPageTokens) << "the collision was taken for b's second page";
    ASSERT_EQ(matched.pages.size(), 1u);
    EXPECT_EQ(matched.pages[0], b.pages()[0]);
    const auto whole = index.match(first);
    EXPECT_EQ(whole.length, 2 * kSharedPageTokens);
    EXPECT_TRUE(std::ranges::equal(whole.pages, a.pages()));
  }
  // The parent evicted and a colliding page (other tokens, same key) cached in its place: the
  // old child must not seem to follow the newcomer, though the newcomer's key is the old
  // parent's key.
  index.clear();
  {
    KvSequence a(pool);
    a.reserve(8);
    a.set_length(8);
    EXPECT_EQ(index.publish(a, first), 2u);
  }
  // Hold a's second page so that only its first page can be evicted.
  const auto held = index.match(first);
  ASSERT_EQ(held.pages.size(), 2u);
  pool.retain(held.pages[1]);
  while (index.evict_one()) {
  }
  EXPECT_EQ(index.cached_pages(), 1u);                             // a's second page, orphaned
  const std::vector<int32_t> impostor = {4, 3, 2, 1, 9, 9, 9, 9};  // a's keys, not a's tokens
  {
    KvSequence c(pool);
    c.reserve(8);
    c.set_length(8);
    // c's first page takes the evicted page's key; its second page finds a's orphan (computed
    // after 1 2 3 4) under its key, with a parent that is gone: a miss, and not cached.
    EXPECT_EQ(index.publish(c, impostor), 1u);
    const auto matched = index.match(impostor);
    EXPECT_EQ(matched.length, kSharedPageTokens);
    ASSERT_EQ(matched.pages.size(), 1u);
    EXPECT_EQ(matched.pages[0], c.pages()[0]);
  }
  pool.release(held.pages[1]);
  index.clear();
  EXPECT_TRUE(pool.usage().idle());
}

}  // namespace
}  // namespace weft::kv
