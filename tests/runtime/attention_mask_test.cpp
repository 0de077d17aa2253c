// Per-token attention masks (Context::append_with_logits with masks), on the reference and on
// the fast kernels, against references computed without masks by other code paths:
//  - a mask allowing every position is the causal pass, bit for bit;
//  - a token that sees only itself computes from its own embedding alone (one softmax weight
//    of exactly 1 on its own value in every layer; rotary positions touch only the scores), so
//    its logits are those of the same token alone in a fresh context, bit for bit;
//  - a second sequence packed after a first, each of its tokens seeing only the second
//    sequence, gives the logits of that sequence in a context of its own, up to the rounding of
//    rotary embeddings at other positions (attention scores depend on relative positions);
//  - masked keys and values never reach the prefix cache, through forks and snapshots too.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/llama_context_runtimes.hpp"
#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "weft/context.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

// The packed sequence's rotary embeddings are rounded at other positions than its reference's
// (measured: 3e-6 on both kernels); the tolerance of the other exactness tests of contexts.
constexpr double kPackedTolerance = 1e-5;

// Masks of `count` tokens appended at `start` allowing positions [from, own] to each.
std::vector<std::vector<bool>> window_masks(int64_t start, int64_t count, int64_t from) {
  std::vector<std::vector<bool>> masks;
  for (int64_t i = 0; i < count; ++i) {
    std::vector<bool> mask(static_cast<size_t>(start + i + 1), false);
    for (int64_t j = from; j <= start + i; ++j) mask[static_cast<size_t>(j)] = true;
    masks.push_back(std::move(mask));
  }
  return masks;
}

std::vector<int64_t> all_rows(size_t count) {
  std::vector<int64_t> rows(count);
  for (size_t i = 0; i < count; ++i) rows[i] = static_cast<int64_t>(i);
  return rows;
}

class AttentionMask : public ::testing::TestWithParam<bool>, public test::LlamaContextRuntimes {
 protected:
  void SetUp() override {
    open_runtimes(GetParam());
    ASSERT_GE(tokens_.size(), 100u);
  }

  void TearDown() override { expect_runtimes_idle(); }
};

TEST_P(AttentionMask, AMaskAllowingEveryPositionIsTheCausalPassBitForBit) {
  auto plain = recompute_->create();
  plain.append(slice(0, 20));
  auto masked = plain.fork();
  const auto added = slice(20, 26);
  const auto rows = all_rows(added.size());
  const auto expected = plain.append_with_logits(added, rows);
  auto masks = window_masks(20, 6, 0);
  masks[2].clear();  // an empty mask is the causal one too
  const auto actual = masked.append_with_logits(added, rows, masks);
  EXPECT_EQ(actual, expected);
  EXPECT_TRUE(std::ranges::equal(masked.logits(), plain.logits()));
}

TEST_P(AttentionMask, ATokenThatSeesOnlyItselfHasTheLogitsOfThatTokenAlone) {
  auto context = recompute_->create();
  context.append(slice(0, 30));
  for (size_t i = 30; i < 34; ++i) {
    const auto token = slice(i, i + 1);
    const auto self_only = window_masks(context.length(), 1, context.length());
    const auto masked = context.append_with_logits(token, all_rows(1), self_only);
    auto alone = recompute_->create();
    alone.append(token);
    EXPECT_TRUE(std::ranges::equal(masked, alone.logits())) << "token " << i;
    // Not the causal logits: the mask changed what the token saw.
    auto causal = recompute_->create();
    causal.append(slice(0, i + 1));
    EXPECT_GT(test::compare_logits(masked, causal.logits()).max_abs, 1e-3) << "token " << i;
  }
}

TEST_P(AttentionMask, APackedSequenceHasTheLogitsOfItsOwnContext) {
  const auto first = slice(0, 13);
  const auto second = slice(40, 51);
  const auto rows = all_rows(second.size());
  auto alone = recompute_->create();
  const auto expected = alone.append_with_logits(second, rows);

  auto packed = recompute_->create();
  packed.append(first);
  auto causal = packed.fork();
  const auto actual = packed.append_with_logits(
      second, rows, window_masks(13, static_cast<int64_t>(second.size()), 13));
  const auto difference = test::compare_logits(actual, expected);
  EXPECT_LE(difference.max_abs, kPackedTolerance);
  RecordProperty("max_abs_difference", std::to_string(difference.max_abs));
  // The same tokens seeing the first sequence are far from it: the comparison can tell.
  const auto unmasked = causal.append_with_logits(second, rows);
  EXPECT_GT(test::compare_logits(unmasked, expected).max_abs, 100 * kPackedTolerance);
}

TEST_P(AttentionMask, MaskedPagesNeverReachThePrefixCache) {
  const auto tokens = slice(0, 40);  // two full pages of 16 and a part
  auto masked = runtime_->create();
  masked.append(slice(0, 10));  // causal: its page may be published once full
  masked.append_with_logits(slice(10, 40), {}, window_masks(10, 30, 5));
  auto branch = masked.fork();
  branch.append(slice(40, 60));  // past more page boundaries, still after the masked position
  masked.save("masked");
  auto reopened = runtime_->open_snapshot("masked");
  reopened.append(slice(40, 70));
  EXPECT_EQ(runtime_->usage().prefix_cache_references, 0);

  // A causal context of the same tokens adopts nothing masked: it has the logits of a runtime
  // without a prefix cache.
  auto plain = runtime_->create();
  plain.append(tokens);
  auto reference = recompute_->create();
  reference.append(tokens);
  EXPECT_TRUE(std::ranges::equal(plain.logits(), reference.logits()));
  EXPECT_GT(runtime_->usage().prefix_cache_references, 0);  // the causal pages were published
}

TEST_P(AttentionMask, ATruncationBeforeTheMaskedPositionsPublishesAgain) {
  auto context = runtime_->create();
  context.append(slice(0, 4));
  context.append_with_logits(slice(4, 8), {}, window_masks(4, 4, 0));
  context.truncate(4);
  context.append(slice(4, 40));
  EXPECT_GT(runtime_->usage().prefix_cache_references, 0);
}

TEST_P(AttentionMask, MasksThatDoNotFitAreRefusedAndTheContextIsUnchanged) {
  auto context = recompute_->create();
  context.append(slice(0, 5));
  const auto added = slice(5, 7);
  const auto refused = [&](const std::vector<std::vector<bool>>& masks, const char* needle) {
    try {
      context.append_with_logits(added, {}, masks);
      ADD_FAILURE() << "accepted; expected an error with: " << needle;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
    }
    EXPECT_EQ(context.length(), 5);
  };
  refused(window_masks(5, 1, 0), "1 attention masks for an append of 2 tokens");
  auto short_mask = window_masks(5, 2, 0);
  short_mask[1].pop_back();
  refused(short_mask, "has 6 entries; it needs 7");
  auto long_mask = window_masks(5, 2, 0);
  long_mask[0].push_back(true);  // the next token's position
  refused(long_mask, "has 7 entries; it needs 6");
  auto hides_all = window_masks(5, 2, 0);
  hides_all[1].assign(7, false);
  refused(hides_all, "token 1 hides every position");
  context.append(added);  // still usable
  EXPECT_EQ(context.length(), 7);
}

INSTANTIATE_TEST_SUITE_P(Kernels, AttentionMask, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "reference" : "fast"; });

}  // namespace
}  // namespace weft
