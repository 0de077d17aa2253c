// Prefix sharing through the scheduler: a prompt that starts like an earlier one adopts the
// earlier prompt's full KV pages and prefills only the rest. References: the same requests on
// a scheduler with the cache turned off (tokens must be identical: the reference kernels are
// batching-invariant, so reuse must not change a single logit), and llama.cpp's logits for
// the fixture's 200-token sequence (the first token after each prefix of it). Every test
// checks that the pool's accounting returns to zero once the cache is cleared.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "model/model.hpp"
#include "runtime/scheduler.hpp"
#include "support/reference_logits.hpp"
#include "support/scheduler_streams.hpp"

namespace weft {
namespace {

using runtime::Scheduler;
using runtime::SchedulerOptions;
using runtime::SchedulerRequest;
using test::collect_ids;
using test::greedy_request;

constexpr int64_t kEnginePageTokens = 16;  // EngineOptions' default page size

struct PrefixOutcome {
  std::vector<int32_t> ids;
  Usage usage;
};

std::vector<int32_t> concatenated(std::vector<int32_t> head, std::span<const int32_t> tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// Tokens a prompt of `length` can adopt when its first `shared` tokens are cached in full
// pages: whole pages only, and never the prompt's last token.
int64_t reusable(int64_t shared, int64_t length) {
  return std::min(shared, length - 1) / kEnginePageTokens * kEnginePageTokens;
}

class SchedulerPrefixCache : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& fixture : test::float32_fixture_models()) {
      if (fixture.arch == "llama") fixture_ = fixture;
    }
    ASSERT_FALSE(fixture_.arch.empty()) << "no llama F32 fixture";
    model_ =
        model::Model::load(fixture_.gguf.string(), {.context_length = fixture_.context_length()});
    tokenizer_ = tokenizer::Tokenizer::from_gguf(model_->file());
    long_ = test::read_token_ids(fixture_.reference("long.tokens.txt"));
    long_logits_ = test::read_f32_file(fixture_.reference("long.logits.f32"));
    text_prompt_ = test::read_token_ids(fixture_.reference("tokens.txt"));
    ASSERT_EQ(long_.size(), 200u);
  }

  // Once every request is done, only the prefix cache holds pages; clearing it empties the
  // pool.
  void TearDown() override {
    for (auto& scheduler : schedulers_) {
      scheduler->sync();
      auto stats = scheduler->stats();
      EXPECT_EQ(stats.pages_in_use, stats.pages_cached);
      EXPECT_EQ(stats.pages_committed, 0);
      EXPECT_EQ(stats.live, 0u);
      EXPECT_EQ(stats.waiting, 0u);
      scheduler->clear_prefix_cache();
      stats = scheduler->stats();
      EXPECT_EQ(stats.pages_in_use, 0);
      EXPECT_EQ(stats.pages_cached, 0);
    }
  }

  // F32 cache and reference kernels: batching-invariant, so recomputing and reusing give
  // bit-identical logits. kv_pages 0: one full context (256 tokens, 16 pages).
  Scheduler& start(bool prefix_cache, int64_t kv_pages = 0, SchedulerOptions options = {}) {
    runtime::EngineOptions engine_options;
    engine_options.threads = 2;
    engine_options.kernels = tensor::KernelChoice::reference;
    engine_options.kv_type = tensor::ElementType::F32;
    engine_options.kv_pages = kv_pages;
    engine_options.page_tokens = kEnginePageTokens;
    options.prefix_cache = prefix_cache;
    schedulers_.push_back(std::make_unique<Scheduler>(
        std::make_unique<runtime::Engine>(model_, engine_options), tokenizer_, options));
    return *schedulers_.back();
  }

  static PrefixOutcome finish(GenerationStream& stream) {
    auto result = collect_ids(stream);
    const auto* done = std::get_if<DoneEvent>(&result.terminal);
    EXPECT_NE(done, nullptr) << "the generation failed";
    return {std::move(result.ids), done ? done->usage : Usage{}};
  }

  static PrefixOutcome run(Scheduler& scheduler, SchedulerRequest request) {
    auto stream = scheduler.submit(std::move(request));
    return finish(stream);
  }

  std::vector<int32_t> head(size_t length) const {
    return {long_.begin(), long_.begin() + static_cast<std::ptrdiff_t>(length)};
  }
  // Ordinary text tokens (the fixture prompt without its BOS) to end prompts differently.
  std::span<const int32_t> suffix(size_t offset, size_t length) const {
    return std::span<const int32_t>(text_prompt_).subspan(1 + offset, length);
  }

  // llama.cpp's greedy token after long[0, length): the argmax of its logits row, which must
  // lead clearly enough that float32 rounding cannot swap it.
  int32_t llamacpp_next(size_t length) const {
    const size_t vocabulary = long_logits_.size() / long_.size();
    const auto row =
        std::span<const float>(long_logits_).subspan((length - 1) * vocabulary, vocabulary);
    std::vector<float> sorted(row.begin(), row.end());
    std::ranges::sort(sorted, std::greater<>());
    EXPECT_GT(sorted[0] - sorted[1], 1e-3f) << "a near-tie after " << length << " tokens";
    return static_cast<int32_t>(std::ranges::max_element(row) - row.begin());
  }

  test::FixtureModel fixture_;
  std::shared_ptr<const model::Model> model_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  std::vector<int32_t> long_;
  std::vector<float> long_logits_;
  std::vector<int32_t> text_prompt_;
  std::vector<std::unique_ptr<Scheduler>> schedulers_;
};

// A 200-token "system prompt" sent twice: the second request computes only the tokens past
// its last full cached page and continues exactly as a full recomputation does, greedy and
// under seeded random sampling (which would notice a changed distribution, not just a changed
// argmax).
TEST_F(SchedulerPrefixCache, RepeatedLongPromptIsComputedOnceAndContinuesIdentically) {
  auto& cached = start(true);
  auto& plain = start(false);
  const auto system = head(200);
  constexpr uint32_t kTokens = 24;  // 224 slots: fits the 256-token context
  const auto expected = run(plain, greedy_request(system, kTokens));
  ASSERT_FALSE(expected.ids.empty());
  EXPECT_EQ(expected.ids[0], llamacpp_next(200));

  const auto first = run(cached, greedy_request(system, kTokens));
  const auto second = run(cached, greedy_request(system, kTokens));
  EXPECT_EQ(first.ids, expected.ids);
  EXPECT_EQ(second.ids, expected.ids);
  EXPECT_EQ(first.usage.cached_prompt_tokens, 0u);
  EXPECT_EQ(second.usage.cached_prompt_tokens, reusable(200, 200));
  EXPECT_EQ(second.usage.prompt_tokens, 200u);

  auto sampled = greedy_request(system, kTokens);
  sampled.options.temperature = 1.0f;
  sampled.options.seed = 7;
  const auto sampled_plain = run(plain, sampled);
  const auto sampled_cached = run(cached, sampled);
  EXPECT_EQ(sampled_cached.ids, sampled_plain.ids);
  EXPECT_EQ(sampled_cached.usage.cached_prompt_tokens, reusable(200, 200));

  cached.sync();
  const auto stats = cached.stats();
  EXPECT_EQ(stats.prompt_tokens_cached, 2 * static_cast<uint64_t>(reusable(200, 200)));
  EXPECT_EQ(stats.prompt_tokens_computed, 3 * 200 - stats.prompt_tokens_cached);
  EXPECT_EQ(stats.pages_cached, 200 / kEnginePageTokens);
}

// Prompts that share a prefix ending inside a page: only the whole pages before it are
// reused, the rest (and the partly shared page) is computed.
TEST_F(SchedulerPrefixCache, PromptsSharingPartOfAPageReuseOnlyItsFullPages) {
  auto& cached = start(true);
  auto& plain = start(false);
  struct Case {
    std::vector<int32_t> prompt;
    int64_t shared_with_cached;  // leading tokens some earlier prompt's full pages hold
    size_t long_prefix;          // the prompt is long[0, n) (0: it is not), for llama.cpp's token
  };
  const std::vector<Case> cases = {
      {head(40), 0, 40},                              // publishes pages 0 and 1 (tokens 0–31)
      {concatenated(head(37), suffix(0, 3)), 32, 0},  // shares 37 tokens: two full pages
      {concatenated(head(20), suffix(3, 5)), 16, 0},  // shares 20: one page and a part
      {concatenated(head(10), suffix(8, 5)), 0, 0},   // shares less than a page
      {head(32), 32, 32},                             // all cached, but the last token is computed
      {head(48), 32, 48},  // page 2 (tokens 32–47) was never full before
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    const auto& c = cases[i];
    constexpr uint32_t kTokens = 12;
    const auto expected = run(plain, greedy_request(c.prompt, kTokens));
    const auto actual = run(cached, greedy_request(c.prompt, kTokens));
    EXPECT_EQ(actual.ids, expected.ids);
    const auto length = static_cast<int64_t>(c.prompt.size());
    EXPECT_EQ(actual.usage.cached_prompt_tokens, reusable(c.shared_with_cached, length));
    if (c.long_prefix > 0 && !actual.ids.empty()) {
      EXPECT_EQ(actual.ids[0], llamacpp_next(c.long_prefix));
    }
  }
}

// The cache holds the pages of an earlier 200-token prompt when a different 200-token
// prompt needs the whole pool: the cached pages are evicted (least recently used first)
// instead of the request waiting or failing.
TEST_F(SchedulerPrefixCache, PoolTooSmallEvictsCachedPagesInsteadOfFailing) {
  constexpr uint32_t kTokens = 24;
  const int64_t whole_request =
      (200 + kTokens + kEnginePageTokens - 1) / kEnginePageTokens;  // 14 pages
  auto& cached = start(true, whole_request);
  auto& plain = start(false, whole_request);
  const auto first_prompt = head(200);
  const std::vector<int32_t> other_prompt(long_.rbegin(), long_.rend());

  const auto first = run(cached, greedy_request(first_prompt, kTokens));
  cached.sync();
  EXPECT_EQ(cached.stats().pages_cached, 200 / kEnginePageTokens);

  // Exactly kTokens tokens (no early end), so that it fills all 14 pages.
  auto other_request = greedy_request(other_prompt, kTokens);
  for (int32_t id = 0; id < tokenizer_->vocab_size(); ++id) {
    if (tokenizer_->is_end_of_generation(id)) other_request.suppressed_tokens.push_back(id);
  }
  // Admitted at once although the cache holds 12 of the 14 pages: cached pages count as free.
  auto other_stream = cached.submit(other_request);
  cached.sync();
  // Running or already done (a fast machine may finish 24 tokens by now), never waiting.
  EXPECT_LE(cached.stats().live, 1u);
  EXPECT_EQ(cached.stats().waiting, 0u);
  const auto other = finish(other_stream);
  EXPECT_EQ(other.ids.size(), kTokens);
  EXPECT_EQ(other.ids, run(plain, other_request).ids);
  EXPECT_EQ(other.usage.cached_prompt_tokens, 0u);
  cached.sync();
  EXPECT_LE(cached.stats().pages_in_use, whole_request);

  // The first prompt's pages had to go; it is computed again, with the same result.
  const auto again = run(cached, greedy_request(first_prompt, kTokens));
  EXPECT_EQ(again.usage.cached_prompt_tokens, 0u);
  EXPECT_EQ(again.ids, first.ids);
  EXPECT_EQ(again.ids, run(plain, greedy_request(first_prompt, kTokens)).ids);
}

// Several requests with a cached system prompt run at once: each adopts the same pages, and
// admission counts those pages once, so all four fit in a pool that holds only one of them
// counted in full.
TEST_F(SchedulerPrefixCache, ConcurrentRequestsShareTheCachedPrefix) {
  constexpr uint32_t kTokens = 16;
  constexpr size_t kSystem = 160;  // 10 full pages
  const int64_t own_pages = 2;     // 168 + 16 slots = 11.5 pages: 10 shared, 2 of its own
  SchedulerOptions options;
  options.prefill_chunk = 3;  // cut the prefills so they mix with each other's decodes
  options.max_batch_tokens = 6;
  auto& cached = start(true, kSystem / kEnginePageTokens + 4 * own_pages, options);
  auto& plain = start(false);
  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < 4; ++i) prompts.push_back(concatenated(head(kSystem), suffix(2 * i, 8)));

  std::vector<PrefixOutcome> alone;
  for (const auto& prompt : prompts) alone.push_back(run(plain, greedy_request(prompt, kTokens)));

  const auto warm =
      run(cached, greedy_request(concatenated(head(kSystem), suffix(20, 8)), kTokens));
  EXPECT_EQ(warm.usage.cached_prompt_tokens, 0u);

  std::vector<GenerationStream> streams;
  for (const auto& prompt : prompts)
    streams.push_back(cached.submit(greedy_request(prompt, kTokens)));
  cached.sync();
  const auto stats = cached.stats();
  EXPECT_EQ(stats.live, 4u);
  EXPECT_EQ(stats.pages_committed,
            static_cast<int64_t>(kSystem / kEnginePageTokens + 4 * own_pages));
  for (size_t i = 0; i < streams.size(); ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    const auto together = finish(streams[i]);
    EXPECT_EQ(together.ids, alone[i].ids);
    EXPECT_EQ(together.usage.cached_prompt_tokens, kSystem);
  }
}

// Requests that arrive together with nothing cached yet each compute their prompt, and
// still give the tokens each gives alone; the next one finds the prefix cached.
TEST_F(SchedulerPrefixCache, ConcurrentRequestsWithAColdCacheStillAgree) {
  constexpr uint32_t kTokens = 16;
  SchedulerOptions options;
  options.prefill_chunk = 7;
  options.max_batch_tokens = 10;
  auto& cached = start(true, 0, options);
  auto& plain = start(false);
  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < 3; ++i) prompts.push_back(concatenated(head(50), suffix(3 * i, 6)));
  std::vector<GenerationStream> streams;
  for (const auto& prompt : prompts)
    streams.push_back(cached.submit(greedy_request(prompt, kTokens)));
  for (size_t i = 0; i < streams.size(); ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    EXPECT_EQ(finish(streams[i]).ids, run(plain, greedy_request(prompts[i], kTokens)).ids);
  }
  const auto later = run(cached, greedy_request(prompts[0], kTokens));
  EXPECT_EQ(later.usage.cached_prompt_tokens, reusable(50, 56));
}

TEST_F(SchedulerPrefixCache, TurnedOffItReusesAndKeepsNothing) {
  auto& plain = start(false);
  const auto first = run(plain, greedy_request(head(100), 8));
  const auto second = run(plain, greedy_request(head(100), 8));
  EXPECT_EQ(second.ids, first.ids);
  EXPECT_EQ(second.usage.cached_prompt_tokens, 0u);
  plain.sync();
  const auto stats = plain.stats();
  EXPECT_EQ(stats.pages_cached, 0);
  EXPECT_EQ(stats.pages_in_use, 0);
  EXPECT_EQ(stats.prompt_tokens_cached, 0u);
  EXPECT_EQ(stats.prompt_tokens_computed, 200u);
}

// A request that adopted cached pages and is cancelled lets go of them at once; the cache
// keeps its own reference, and clearing the cache while another request holds adopted pages
// does not disturb that request.
TEST_F(SchedulerPrefixCache, CancelAndClearWhileAdoptedPagesAreHeld) {
  auto& cached = start(true);
  auto& plain = start(false);
  const auto system = head(120);
  run(cached, greedy_request(system, 4));

  auto cancelled = cached.submit(greedy_request(system, 100));
  ASSERT_TRUE(cancelled.next().has_value());
  cancelled.cancel();
  cached.sync();
  auto stats = cached.stats();
  EXPECT_EQ(stats.live, 0u);
  EXPECT_EQ(stats.pages_committed, 0);
  EXPECT_EQ(stats.pages_in_use, stats.pages_cached);

  auto running = cached.submit(greedy_request(system, 40));
  ASSERT_TRUE(running.next().has_value());
  cached.clear_prefix_cache();
  EXPECT_EQ(cached.stats().pages_cached, 0);
  const auto result = finish(running);
  EXPECT_EQ(result.usage.cached_prompt_tokens, reusable(120, 120));
  auto expected = run(plain, greedy_request(system, 40)).ids;
  ASSERT_FALSE(expected.empty());
  expected.erase(expected.begin());  // the first token was read before collecting
  EXPECT_EQ(result.ids, expected);
}

}  // namespace
}  // namespace weft
