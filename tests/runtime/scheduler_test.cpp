// The scheduler against the fixtures' float64 greedy continuations: concurrent generations,
// chunked prefills mixed with decodes, admission under a small page pool, cancellation, and
// pool accounting that returns to zero after every test.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "runtime/scheduler.hpp"
#include "support/reference_logits.hpp"
#include "support/reference_scheduler.hpp"
#include "support/scheduler_streams.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

using runtime::SchedulerOptions;
using runtime::SchedulerRequest;

using test::collect_ids;
using test::greedy_request;

// The reference continuation up to (and without) the first end-of-generation token, where
// the generator stops; the fixture references never stop at EOS.
std::vector<int32_t> until_end(const std::vector<int32_t>& ids,
                               const tokenizer::Tokenizer& tokenizer) {
  std::vector<int32_t> out;
  for (auto id : ids) {
    if (tokenizer.is_end_of_generation(id)) break;
    out.push_back(id);
  }
  return out;
}

// The vocabulary's end-of-generation ids: suppressed, a stream makes exactly max_tokens tokens.
std::vector<int32_t> end_tokens(const tokenizer::Tokenizer& tokenizer) {
  std::vector<int32_t> ids;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (tokenizer.is_end_of_generation(id)) ids.push_back(id);
  }
  return ids;
}

using Clock = std::chrono::steady_clock;

class SchedulerTest : public test::ReferenceSchedulerTest {
 protected:
  void start_llama(int64_t kv_pages, SchedulerOptions options = {}) {
    start_arch("llama", kv_pages, options);
  }

  std::vector<int32_t> prompt() const {
    return test::read_token_ids(fixture_.reference("tokens.txt"));
  }
  std::vector<int32_t> expected_greedy() const {
    return until_end(test::read_token_ids(fixture_.reference("exact.greedy.txt")), *tokenizer_);
  }
  // Runs `request` alone: its ids and terminal event, and how many model calls it took.
  std::pair<test::CollectedIds, uint64_t> run_alone(const SchedulerRequest& request) {
    scheduler_->sync();
    const auto before = scheduler_->stats().steps;
    auto stream = scheduler_->submit(request);
    auto result = collect_ids(stream);
    scheduler_->sync();
    return {std::move(result), scheduler_->stats().steps - before};
  }
};

class SchedulerFixtures : public SchedulerTest,
                          public ::testing::WithParamInterface<test::FixtureModel> {};

// Four requests with prompts of different lengths run together, with small prefill chunks
// and budget so that prefills are cut and mixed with the decodes of the others.
TEST_P(SchedulerFixtures, ConcurrentGreedyGenerationsEqualEachAloneAndTheReference) {
  SchedulerOptions options;
  options.prefill_chunk = 5;
  options.max_batch_tokens = 8;
  start(GetParam(), 0 /* one full context */, options);
  const auto full = prompt();
  const std::vector<std::vector<int32_t>> prompts = {
      full, {full.begin(), full.begin() + 7}, {full.begin(), full.begin() + 19}, {full[0]}};
  constexpr uint32_t kTokens = 32;
  // Each needs ≤ 64 slots; the default pool is one context (256 slots) for the four.
  std::vector<std::vector<int32_t>> alone;
  scheduler_->sync();
  const auto before = scheduler_->stats().steps;
  for (const auto& p : prompts) {
    auto stream = scheduler_->submit(greedy_request(p, kTokens));
    auto result = collect_ids(stream);
    ASSERT_TRUE(std::holds_alternative<DoneEvent>(result.terminal));
    alone.push_back(result.ids);
  }
  const auto expected = expected_greedy();
  ASSERT_GE(alone[0].size(), expected.size());
  EXPECT_EQ(std::vector<int32_t>(alone[0].begin(), alone[0].begin() + expected.size()), expected);

  scheduler_->sync();
  const auto alone_steps = scheduler_->stats().steps - before;

  std::vector<GenerationStream> streams;
  for (const auto& p : prompts) streams.push_back(scheduler_->submit(greedy_request(p, kTokens)));
  for (size_t i = 0; i < streams.size(); ++i) {
    auto together = collect_ids(streams[i]);
    ASSERT_TRUE(std::holds_alternative<DoneEvent>(together.terminal)) << "request " << i;
    EXPECT_EQ(together.ids, alone[i]) << "request " << i;
  }
  // They did share model calls.
  scheduler_->sync();
  EXPECT_LT(scheduler_->stats().steps - before - alone_steps, alone_steps);
}

INSTANTIATE_TEST_SUITE_P(Float32Fixtures, SchedulerFixtures,
                         ::testing::ValuesIn(test::float32_fixture_models()),
                         [](const auto& info) { return info.param.arch; });

// A 200-token prompt arrives while another request decodes: it is prefilled in chunks of 16,
// and every one of those model calls also carries the running decode, so that stream makes a
// token per chunk meanwhile instead of pausing for the whole prefill. Counted exactly with
// the scheduler's call counter: the calls both requests shared are (calls of each alone) −
// (calls together), and each shared call gave the decoding stream one token.
TEST_F(SchedulerTest, ChunkedPrefillKeepsTheRunningDecodeFlowing) {
  SchedulerOptions options;
  options.prefill_chunk = 16;
  options.prefix_cache = false;  // every prompt token is computed, so the call counts are exact
  start_llama(32, options);      // 512 slots: room for both
  const auto long_prompt = test::read_token_ids(fixture_.reference("long.tokens.txt"));
  ASSERT_EQ(long_prompt.size(), 200u);
  const uint64_t chunks = (long_prompt.size() + 15) / 16;  // 13
  auto decoding_request = greedy_request(prompt(), 200);
  decoding_request.suppressed_tokens = end_tokens(*tokenizer_);
  const auto long_request = greedy_request(long_prompt, 1);

  const auto [decoding_alone, decoding_steps] = run_alone(decoding_request);
  const auto [long_alone, long_steps] = run_alone(long_request);
  EXPECT_EQ(long_steps, chunks);
  ASSERT_EQ(decoding_alone.ids.size(), 200u);

  for (int attempt = 0; attempt < 3; ++attempt) {
    scheduler_->sync();
    const auto before = scheduler_->stats().steps;
    const auto decoding_submitted = Clock::now();
    auto decoding = scheduler_->submit(decoding_request);
    auto first = decoding.next();  // from now on that request is decoding
    ASSERT_TRUE(first && std::holds_alternative<TokenEvent>(*first));
    auto long_stream = scheduler_->submit(long_request);
    const auto long_submitted = Clock::now();
    const auto long_result = collect_ids(long_stream);
    auto decoding_result = collect_ids(decoding);
    decoding_result.ids.insert(decoding_result.ids.begin(), *std::get<TokenEvent>(*first).token_id);
    scheduler_->sync();
    const auto together_steps = scheduler_->stats().steps - before;

    ASSERT_TRUE(std::holds_alternative<DoneEvent>(long_result.terminal));
    ASSERT_TRUE(std::holds_alternative<DoneEvent>(decoding_result.terminal));
    EXPECT_EQ(long_result.ids, long_alone.ids);
    EXPECT_EQ(decoding_result.ids, decoding_alone.ids);
    // The decoding stream must still have been running when the long prompt's first token
    // came; only a stall of this thread for ~200 model calls could break that, and then the
    // measurement is retried. The generators time both on one clock; the submission times
    // bound when each request was created.
    const auto& decoding_done = std::get<DoneEvent>(decoding_result.terminal);
    const auto& long_done = std::get<DoneEvent>(long_result.terminal);
    const auto decoding_ended_no_earlier = decoding_submitted + decoding_done.timings.total;
    const auto long_first_token_no_later = long_submitted + long_done.timings.first_token;
    if (decoding_ended_no_earlier <= long_first_token_no_later) continue;

    const uint64_t shared_calls = decoding_steps + long_steps - together_steps;
    EXPECT_EQ(shared_calls, chunks) << "the decoding stream made " << shared_calls
                                    << " tokens during the " << chunks << "-chunk prefill";
    return;
  }
  GTEST_SKIP() << "this thread stalled so long that the decode ended before the prefill";
}

// A budget of 2 rows for 4 streams: decodes alone would fill every call once two streams
// decode, and the other prompts would wait for those to end. One row is kept for a waiting
// prefill, so the last stream starts while the first is still far from done; every stream
// still gives exactly the tokens it gives alone.
TEST_F(SchedulerTest, DecodesLeaveARowForAWaitingPrefill) {
  SchedulerOptions options;
  options.max_batch_tokens = 2;
  options.prefix_cache = false;
  start_llama(64, options);  // 4 × 16 pages: every stream fits
  const auto full = prompt();
  const std::vector<std::vector<int32_t>> prompts = {
      {full.begin(), full.begin() + 19}, {full.begin(), full.begin() + 7}, {full[0]}, full};
  constexpr uint32_t kTokens = 200;
  const auto suppressed = end_tokens(*tokenizer_);
  std::vector<SchedulerRequest> requests;
  std::vector<std::vector<int32_t>> alone;
  for (const auto& p : prompts) {
    requests.push_back(greedy_request(p, kTokens));
    requests.back().suppressed_tokens = suppressed;
    alone.push_back(run_alone(requests.back()).first.ids);
    ASSERT_EQ(alone.back().size(), kTokens);
  }

  // Held while submitting, so that no model call runs between the two clock readings.
  scheduler_->hold(true);
  const auto first_submitted = Clock::now();
  std::vector<GenerationStream> streams;
  for (const auto& request : requests) streams.push_back(scheduler_->submit(request));
  const auto last_submitted = Clock::now();
  scheduler_->hold(false);
  std::vector<DoneEvent> done;
  for (size_t i = 0; i < streams.size(); ++i) {
    const auto result = collect_ids(streams[i]);
    ASSERT_TRUE(std::holds_alternative<DoneEvent>(result.terminal)) << "request " << i;
    EXPECT_EQ(result.ids, alone[i]) << "request " << i;
    done.push_back(std::get<DoneEvent>(result.terminal));
  }
  // The first stream ended after the last one's first token (generator timings on one
  // clock; the submission times bound when the requests were created).
  EXPECT_GT(first_submitted + done.front().timings.total,
            last_submitted + done.back().timings.first_token);
}

// Eight streams that start together decode together: each model call carries one row of every
// stream, so eight streams of N tokens take N calls (one prefill, N - 1 decodes), as one stream
// alone does. (The decode loop once moved its own starting point as it went: one stream was
// left out of every call and ran on alone at the end, 2N calls for the eight.)
TEST_F(SchedulerTest, EveryDecodingStreamJoinsEveryModelCall) {
  constexpr uint32_t kStreams = 8;
  constexpr uint32_t kTokens = 24;
  SchedulerOptions options;
  options.prefix_cache = false;
  start_llama(kStreams * pages_for(1 + kTokens), options);
  const auto suppressed = end_tokens(*tokenizer_);
  const auto full = prompt();
  std::vector<SchedulerRequest> requests;
  std::vector<std::vector<int32_t>> alone;
  for (uint32_t i = 0; i < kStreams; ++i) {
    requests.push_back(greedy_request({full[i]}, kTokens));
    requests.back().suppressed_tokens = suppressed;
    const auto [result, steps] = run_alone(requests.back());
    ASSERT_EQ(result.ids.size(), kTokens);
    EXPECT_EQ(steps, kTokens);
    alone.push_back(result.ids);
  }

  scheduler_->sync();
  const auto before = scheduler_->stats();
  scheduler_->hold(true);  // all eight arrive in one turn
  std::vector<GenerationStream> streams;
  for (const auto& request : requests) streams.push_back(scheduler_->submit(request));
  scheduler_->hold(false);
  for (uint32_t i = 0; i < kStreams; ++i) {
    const auto result = collect_ids(streams[i]);
    ASSERT_TRUE(std::holds_alternative<DoneEvent>(result.terminal)) << "stream " << i;
    EXPECT_EQ(result.ids, alone[i]) << "stream " << i;
  }
  scheduler_->sync();
  const auto after = scheduler_->stats();
  EXPECT_EQ(after.steps - before.steps, kTokens);
  EXPECT_EQ(after.rows - before.rows, uint64_t{kStreams} * kTokens);
}

TEST_F(SchedulerTest, PoolTooSmallForTheLoadMakesRequestsWaitThenServesThemAll) {
  constexpr uint32_t kTokens = 24;
  const int64_t one_request = pages_for(32 + kTokens);  // the 32-token fixture prompt
  start_llama(one_request);
  auto alone_stream = scheduler_->submit(greedy_request(prompt(), kTokens));
  const auto alone = collect_ids(alone_stream);

  scheduler_->sync();
  const auto deferred_before = scheduler_->stats().deferred;
  std::vector<GenerationStream> streams;
  // Held, so that the three arrive in one turn whatever the speed of this thread.
  scheduler_->hold(true);
  for (int i = 0; i < 3; ++i)
    streams.push_back(scheduler_->submit(greedy_request(prompt(), kTokens)));
  scheduler_->hold(false);
  scheduler_->sync();
  // The pool holds one request: at most one runs, the other two had to wait (how far the first
  // has got by now depends on the machine, so the split between live and done is not checked).
  const auto stats = scheduler_->stats();
  EXPECT_LE(stats.live, 1u);
  EXPECT_LE(stats.live + stats.waiting, 3u);
  EXPECT_LE(stats.pages_committed, stats.pages_capacity);
  EXPECT_EQ(stats.deferred - deferred_before, 2u);
  for (auto& stream : streams) {
    const auto result = collect_ids(stream);
    ASSERT_TRUE(std::holds_alternative<DoneEvent>(result.terminal));
    EXPECT_EQ(result.ids, alone.ids);
  }
}

TEST_F(SchedulerTest, RequestThatCanNeverFitErrorsAtOnceAndOthersCarryOn) {
  start_llama(4);                                                   // 64 slots
  auto running = scheduler_->submit(greedy_request(prompt(), 16));  // 48 slots: fits
  auto too_big = scheduler_->submit(greedy_request(prompt(), 64));  // 96 slots: never fits
  auto first = too_big.next();
  ASSERT_TRUE(first.has_value());
  auto* error = std::get_if<ErrorEvent>(&*first);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::invalid_request);
  EXPECT_NE(error->message.find("pages"), std::string::npos) << error->message;
  const auto result = collect_ids(running);
  ASSERT_TRUE(std::holds_alternative<DoneEvent>(result.terminal));
  const auto expected = expected_greedy();
  const size_t compared = std::min(expected.size(), result.ids.size());
  EXPECT_EQ(std::vector<int32_t>(result.ids.begin(), result.ids.begin() + compared),
            std::vector<int32_t>(expected.begin(), expected.begin() + compared));
}

TEST_F(SchedulerTest, CancellingMidGenerationFreesThePagesAtOnce) {
  start_llama(0);
  auto stream = scheduler_->submit(greedy_request(prompt(), 200));
  for (int i = 0; i < 3; ++i) {
    auto event = stream.next();
    ASSERT_TRUE(event && std::holds_alternative<TokenEvent>(*event));
  }
  scheduler_->sync();
  const auto running = scheduler_->stats();
  EXPECT_EQ(running.live, 1u);
  // The sequence holds pages of its own beyond the prompt pages the prefix cache shares.
  EXPECT_GT(running.pages_in_use, running.pages_cached);
  stream.cancel();
  scheduler_->sync();
  // What stays in use is the prompt's pages in the prefix cache, nothing of the sequence.
  const auto stats = scheduler_->stats();
  EXPECT_EQ(stats.pages_in_use, stats.pages_cached);
  EXPECT_EQ(stats.live, 0u);
}

TEST_F(SchedulerTest, DroppedStreamFreesItsPages) {
  start_llama(0);
  {
    auto stream = scheduler_->submit(greedy_request(prompt(), 200));
    ASSERT_TRUE(stream.next().has_value());
  }
  scheduler_->sync();
  const auto stats = scheduler_->stats();
  EXPECT_EQ(stats.pages_in_use, stats.pages_cached);
}

// A consumer that reads nothing does not hold up another stream.
TEST_F(SchedulerTest, UnreadStreamDoesNotStallOthers) {
  start_llama(0);
  auto unread = scheduler_->submit(greedy_request(prompt(), 100));
  auto read = scheduler_->submit(greedy_request(prompt(), 32));
  const auto result = collect_ids(read);
  ASSERT_TRUE(std::holds_alternative<DoneEvent>(result.terminal));
  const auto expected = expected_greedy();
  EXPECT_EQ(std::vector<int32_t>(result.ids.begin(),
                                 result.ids.begin() + std::min(result.ids.size(), expected.size())),
            std::vector<int32_t>(expected.begin(),
                                 expected.begin() + std::min(result.ids.size(), expected.size())));
  const auto rest = collect_ids(unread);
  EXPECT_TRUE(std::holds_alternative<DoneEvent>(rest.terminal));
}

// First come, first served: a request that does not fit yet is not overtaken by later
// smaller ones that would fit, so a stream of small requests cannot starve it.
TEST_F(SchedulerTest, AdmissionIsFirstComeFirstServed) {
  const auto big_pages = pages_for(32 + 64);  // 6 pages
  start_llama(big_pages);  // room for the big one alone, or two small ones (3 pages each)
  // Held, so that all three are in the queue of the same turn: small1 is admitted, big does
  // not fit beside it, and small2, which would, is then looked at too, whatever the speed of
  // this thread (submitted one by one, small1 could finish before small2 arrives, and an
  // admission that skips a head that does not fit would go unnoticed).
  scheduler_->hold(true);
  auto small1 = scheduler_->submit(greedy_request(prompt(), 16));
  auto big = scheduler_->submit(greedy_request(prompt(), 64));
  auto small2 = scheduler_->submit(greedy_request(prompt(), 16));
  scheduler_->hold(false);
  // small2 would fit beside small1 but waits behind big, which needs every page: so it is
  // admitted only when big has finished, and its first token comes after big's. (How far
  // small1 got meanwhile depends on the machine's speed, so the test does not look at it.)
  std::vector<DoneEvent> done;
  for (auto* stream : {&small1, &big, &small2}) {
    const auto result = collect_ids(*stream);
    ASSERT_TRUE(std::holds_alternative<DoneEvent>(result.terminal));
    done.push_back(std::get<DoneEvent>(result.terminal));
  }
  const auto& big_done = done[1];
  const auto& small2_done = done[2];
  EXPECT_GT(small2_done.timings.first_token, big_done.timings.first_token);
}

// Small requests keep arriving while a big one waits for the pages a running request holds.
// Each of them would fit beside the running one, but none overtakes the big one: the big one
// is admitted as soon as the running one ends, and finishes. Checked without clocks: a later
// request can only start once the big one is done (the big one needs every page), so when a
// later request's first token can be read, the big one's whole stream is already queued.
TEST_F(SchedulerTest, BigRequestIsServedWhileSmallOnesKeepArriving) {
  const auto big_pages = pages_for(32 + 64);  // 6 pages: the whole pool
  start_llama(big_pages);
  const auto full = prompt();
  const std::vector<int32_t> small_prompt(full.begin(), full.begin() + 4);  // 4 + 8: 1 page
  // Held, so that the first three arrive in one turn: the running one is admitted first, the
  // big one must wait for its pages, and the first small one, which would fit beside the
  // running one, is looked at while the big one waits, whatever the speed of this thread.
  std::vector<GenerationStream> later;
  scheduler_->hold(true);
  auto running = scheduler_->submit(greedy_request(full, 16));  // 3 pages
  auto big = scheduler_->submit(greedy_request(full, 64));
  later.push_back(scheduler_->submit(greedy_request(small_prompt, 8)));
  scheduler_->hold(false);
  ASSERT_TRUE(running.next().has_value());

  test::CollectedIds big_result;
  bool big_started = false;
  constexpr size_t kMostArrivals = 100;
  while (!big_started && later.size() < kMostArrivals) {
    later.push_back(scheduler_->submit(greedy_request(small_prompt, 8)));
    if (auto event = big.next_for(std::chrono::milliseconds(2))) {
      auto* token = std::get_if<TokenEvent>(&*event);
      ASSERT_NE(token, nullptr) << "the big request ended without a token";
      big_result.ids.push_back(*token->token_id);
      big_started = true;
    }
  }
  scheduler_->sync();
  EXPECT_GE(scheduler_->stats().deferred, 1u);

  bool big_done = false;
  for (size_t i = 0; i < later.size(); ++i) {
    auto first = later[i].next();
    ASSERT_TRUE(first && std::holds_alternative<TokenEvent>(*first)) << "small request " << i;
    // Everything the big request will ever send must be there already.
    while (!big_done) {
      auto event = big.next_for(std::chrono::milliseconds(0));
      ASSERT_TRUE(event.has_value())
          << "small request " << i << " started before the big one ended";
      if (auto* token = std::get_if<TokenEvent>(&*event)) {
        big_result.ids.push_back(*token->token_id);
      } else {
        big_result.terminal = *event;
        big_done = true;
      }
    }
    EXPECT_TRUE(std::holds_alternative<DoneEvent>(collect_ids(later[i]).terminal));
  }
  ASSERT_TRUE(big_done);
  ASSERT_TRUE(std::holds_alternative<DoneEvent>(big_result.terminal));
  const auto expected = expected_greedy();
  const size_t compared = std::min(expected.size(), big_result.ids.size());
  ASSERT_GT(compared, 0u);
  EXPECT_EQ(std::vector<int32_t>(big_result.ids.begin(), big_result.ids.begin() + compared),
            std::vector<int32_t>(expected.begin(), expected.begin() + compared));
  EXPECT_TRUE(std::holds_alternative<DoneEvent>(collect_ids(running).terminal));
}

TEST_F(SchedulerTest, SuppressedTokensAreNeverSampled) {
  start_llama(0);
  const auto expected = expected_greedy();
  ASSERT_FALSE(expected.empty());
  auto request = greedy_request(prompt(), 1);
  request.suppressed_tokens = {expected[0]};
  auto stream = scheduler_->submit(request);
  const auto result = collect_ids(stream);
  ASSERT_EQ(result.ids.size(), 1u);
  EXPECT_NE(result.ids[0], expected[0]);

  auto bad = greedy_request(prompt(), 1);
  bad.suppressed_tokens = {tokenizer_->vocab_size()};
  auto bad_stream = scheduler_->submit(bad);
  const auto bad_result = collect_ids(bad_stream);
  auto* error = std::get_if<ErrorEvent>(&bad_result.terminal);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::invalid_request);
}

TEST_F(SchedulerTest, StoppingEndsRunningAndWaitingGenerationsWithAnError) {
  start_llama(pages_for(32 + 100));
  auto running = scheduler_->submit(greedy_request(prompt(), 100));
  auto waiting = scheduler_->submit(greedy_request(prompt(), 100));
  ASSERT_TRUE(running.next().has_value());
  // Before the stop (TearDown has no scheduler left to look at): one runs, holding its pages,
  // the other waits for them.
  scheduler_->sync();
  const auto stats = scheduler_->stats();
  EXPECT_EQ(stats.live, 1u);
  EXPECT_EQ(stats.waiting, 1u);
  EXPECT_EQ(stats.pages_committed, pages_for(32 + 100));
  EXPECT_GT(stats.pages_in_use, 0);
  scheduler_.reset();
  for (auto* stream : {&running, &waiting}) {
    const auto result = collect_ids(*stream);
    EXPECT_TRUE(std::holds_alternative<ErrorEvent>(result.terminal));
  }
}

}  // namespace
}  // namespace weft
