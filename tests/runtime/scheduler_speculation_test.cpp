// Prompt-lookup speculation in the scheduler (SchedulerRequest::speculation): a speculating
// request's drafts ride in the same model calls as the other streams' rows, and every request
// gets exactly the tokens, text and stop of the same request without speculation — greedy
// (and then the fixtures' independent continuations), seeded sampling and a grammar — with
// accepted drafts saving model calls and every KV page back in the pool at the end.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "runtime/scheduler.hpp"
#include "support/reference_logits.hpp"
#include "support/reference_scheduler.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

using runtime::SchedulerOptions;
using runtime::SchedulerRequest;

using test::Collected;
using test::read_to_end;
using test::request_for;
using test::stop_of;

std::vector<SchedulerRequest> with_lookup(std::vector<SchedulerRequest> requests,
                                          uint32_t draft_tokens = 4) {
  for (auto& request : requests) request.speculation = {.ngram = 3, .draft_tokens = draft_tokens};
  return requests;
}

class SchedulerSpeculation : public test::ReferenceSchedulerTest {
 protected:
  // The default pool has room for a dozen requests of ~150 tokens at once.
  void start_stories(int64_t kv_pages = 128, SchedulerOptions options = {}) {
    start_arch("stories260K", kv_pages, options);
  }

  struct Comparison {
    std::vector<Collected> speculative;
    uint64_t plain_steps = 0;
    uint64_t speculative_steps = 0;
    runtime::SchedulerStats before;  // before the speculative run
  };
  // Runs the requests without and then with lookup speculation: the same tokens, text and
  // stop reason for each.
  Comparison expect_same_with_lookup(const std::vector<SchedulerRequest>& requests,
                                     uint32_t draft_tokens = 4) {
    Comparison out;
    const auto plain = run_together(requests, &out.plain_steps);
    out.before = scheduler_->stats();
    out.speculative = run_together(with_lookup(requests, draft_tokens), &out.speculative_steps);
    for (size_t i = 0; i < requests.size(); ++i) {
      EXPECT_EQ(out.speculative[i].ids, plain[i].ids) << "request " << i;
      EXPECT_EQ(out.speculative[i].text, plain[i].text) << "request " << i;
      EXPECT_EQ(stop_of(out.speculative[i]), stop_of(plain[i])) << "request " << i;
    }
    return out;
  }
  // Drafted and accepted tokens since `before`.
  std::pair<uint64_t, uint64_t> speculation_since(const runtime::SchedulerStats& before) const {
    const auto now = scheduler_->stats();
    return {now.drafted - before.drafted, now.accepted - before.accepted};
  }

  std::vector<int32_t> encode(const std::string& text) const {
    return tokenizer_->encode(text, {.add_bos = tokenizer_->add_bos_by_default()});
  }
  // Stories of this model come back to their phrases: the n-gram drafter finds them.
  std::vector<int32_t> story_prompt() const {
    return encode(
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
        "park with her red ball.");
  }
  std::vector<int32_t> end_tokens() const {
    std::vector<int32_t> ids;
    for (int32_t id = 0; id < tokenizer_->vocab_size(); ++id) {
      if (tokenizer_->is_end_of_generation(id)) ids.push_back(id);
    }
    return ids;
  }
};

class SchedulerSpeculationFixtures : public SchedulerSpeculation,
                                     public ::testing::WithParamInterface<test::FixtureModel> {};

// Three prompts at once, greedy, with and without drafts: the same tokens, and for the whole
// prompt the fixture's independent continuation (llama.cpp's, equal to the float64 one for
// F32 files) up to its first end-of-generation token.
TEST_P(SchedulerSpeculationFixtures, GreedyTokensAreTheReferenceContinuationWithDrafts) {
  start(GetParam(), 64);
  const auto full = test::read_token_ids(fixture_.reference("tokens.txt"));
  const std::vector<std::vector<int32_t>> prompts = {
      full, {full.begin(), full.begin() + 7}, {full.begin(), full.begin() + 19}};
  std::vector<SchedulerRequest> requests;
  for (const auto& prompt : prompts) requests.push_back(request_for(prompt, 32));
  const auto speculative = expect_same_with_lookup(requests).speculative;

  std::vector<int32_t> expected;
  for (auto id : test::read_token_ids(fixture_.reference("greedy.txt"))) {
    if (tokenizer_->is_end_of_generation(id)) break;
    expected.push_back(id);
  }
  const auto& ids = speculative[0].ids;
  ASSERT_GE(ids.size(), std::min<size_t>(expected.size(), 32));
  EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.begin() + static_cast<long>(expected.size())),
            expected);
}

INSTANTIATE_TEST_SUITE_P(Float32Fixtures, SchedulerSpeculationFixtures,
                         ::testing::ValuesIn(test::float32_fixture_models()),
                         [](const auto& info) { return info.param.arch; });

// Greedy, seeded sampling and a grammar-constrained request together: each gets the tokens it
// gets without drafts, and the repeated phrases are drafted and accepted.
TEST_F(SchedulerSpeculation, MixedRequestsShareCallsAndKeepTheirTokens) {
  start_stories();
  std::vector<SchedulerRequest> requests;
  requests.push_back(request_for(story_prompt(), 120));
  auto seeded = request_for(story_prompt(), 120, 0.9f);
  seeded.options.top_k = 40;
  seeded.options.seed = 7;
  requests.push_back(seeded);
  auto constrained = request_for(story_prompt(), 24, 0.8f);
  constrained.options.seed = 3;
  constrained.options.grammar = "root ::= [a-z ]+";
  requests.push_back(constrained);
  requests.push_back(request_for(encode("Tom and his dog went to the park."), 80));

  const auto compared = expect_same_with_lookup(requests);
  const auto& speculative = compared.speculative;
  const auto [drafted, accepted] = speculation_since(compared.before);

  ASSERT_GE(speculative[1].ids.size(), 20u) << "too short a sample to compare";
  ASSERT_GE(speculative[2].ids.size(), 8u) << "too short a sample to compare";
  EXPECT_TRUE(std::ranges::all_of(speculative[2].text, [](char c) {
    return c == ' ' || (c >= 'a' && c <= 'z');
  })) << speculative[2].text;
  EXPECT_GT(drafted, 0u);
  EXPECT_GT(accepted, 0u);
  EXPECT_LE(accepted, drafted);
  // The calls are as many as the slowest request needs; drafts never add one.
  EXPECT_LE(compared.speculative_steps, compared.plain_steps);
}

// Model calls of four rows for four streams (and small prefill chunks): drafts get only the
// row the decodes leave, or none, and the prefills still get theirs; the tokens stay the same.
TEST_F(SchedulerSpeculation, ATightRowBudgetCutsDraftsNotDecodes) {
  SchedulerOptions options;
  options.max_batch_tokens = 4;
  options.prefill_chunk = 3;
  start_stories(128, options);
  std::vector<SchedulerRequest> requests;
  for (uint32_t tokens : {60u, 40u, 50u}) requests.push_back(request_for(story_prompt(), tokens));
  requests.push_back(request_for(encode("Tom and his dog went to the park."), 50));
  const auto compared = expect_same_with_lookup(requests, 6);
  EXPECT_GT(speculation_since(compared.before).second, 0u);
}

// One greedy request alone: each model call settles its token and the drafts it accepted, so
// the calls are the tokens less the accepted drafts (and one for the prompt).
TEST_F(SchedulerSpeculation, AcceptedDraftsSaveExactlyTheirModelCalls) {
  start_stories();
  auto request = request_for(story_prompt(), 120);
  request.suppressed_tokens = end_tokens();  // exactly 120 tokens
  const auto compared = expect_same_with_lookup({request});
  const auto accepted = speculation_since(compared.before).second;
  ASSERT_EQ(compared.speculative[0].ids.size(), 120u);
  EXPECT_EQ(compared.plain_steps, 120u);
  EXPECT_GT(accepted, 0u);
  // The prompt's call samples the first token; each later call feeds the last token and its
  // drafts and settles one token more than the drafts it kept.
  EXPECT_EQ(compared.speculative_steps, 120u - accepted);
}

// max_tokens inside a run of good drafts, and stop strings whose text a draft carries: the
// request ends exactly where it ends without drafts, with the same text.
TEST_F(SchedulerSpeculation, MaxTokensAndStopStringsEndInsideDraftsExactly) {
  start_stories();
  std::vector<SchedulerRequest> requests;
  for (uint32_t max_tokens = 1; max_tokens <= 24; ++max_tokens) {
    requests.push_back(request_for(story_prompt(), max_tokens));
  }
  const auto capped = expect_same_with_lookup(requests, 8).speculative;
  for (uint32_t i = 0; i < capped.size(); ++i) {
    EXPECT_EQ(capped[i].ids.size(), i + 1) << "max_tokens " << i + 1;
  }

  const auto plain = run_together({request_for(story_prompt(), 120)});
  const auto& text = plain[0].text;
  ASSERT_GT(text.size(), 200u);
  std::vector<SchedulerRequest> stopped;
  for (size_t at : {40, 90, 150, 190}) {
    auto request = request_for(story_prompt(), 120);
    request.options.stop = {text.substr(at, 6)};
    stopped.push_back(request);
  }
  const auto compared = expect_same_with_lookup(stopped, 8);
  EXPECT_GT(speculation_since(compared.before).second, 0u);
  for (const auto& result : compared.speculative) EXPECT_LT(result.text.size(), text.size());
}

// This model seldom ends a story by itself (its stories are separated by BOS): greedy requests
// with a growing bias on the end-of-generation token end at it somewhere in the middle, perhaps
// inside a run of accepted drafts, exactly where they end without drafts.
TEST_F(SchedulerSpeculation, RequestsEndingAtTheEndTokenEndThereWithDrafts) {
  start_stories();
  const auto end = end_tokens();
  ASSERT_FALSE(end.empty());
  std::vector<SchedulerRequest> requests;
  for (float bias : {14.0f, 16.0f, 18.0f, 20.0f, 22.0f, 24.0f, 26.0f}) {
    auto request = request_for(story_prompt(), 200);
    request.options.logit_bias = {{end[0], bias}};
    requests.push_back(request);
  }
  const auto compared = expect_same_with_lookup(requests);
  const auto ended = std::ranges::count_if(compared.speculative, [](const Collected& result) {
    return stop_of(result) == StopReason::end && result.ids.size() > 1;
  });
  std::string summary;
  for (const auto& result : compared.speculative) {
    summary +=
        std::to_string(result.ids.size()) + ":" + std::string(to_string(stop_of(result))) + " ";
  }
  EXPECT_GT(ended, 0) << "no request reached the end-of-generation token after its first: "
                      << summary << " end id " << end[0];
  EXPECT_GT(speculation_since(compared.before).second, 0u);
}

// A pool with exactly the pages of one request's worst case (prompt + max_tokens), and one
// with exactly the context: drafts never need a slot past either, so the requests run to the
// end, as without drafts, and the page accounting holds (TearDown).
TEST_F(SchedulerSpeculation, DraftsFitThePagesAdmissionCounted) {
  start_stories();
  const auto prompt = story_prompt();
  const auto max_tokens =
      static_cast<uint32_t>(pages_for(static_cast<int64_t>(prompt.size()) + 60) * page_tokens_ -
                            static_cast<int64_t>(prompt.size()));
  const auto pages = pages_for(static_cast<int64_t>(prompt.size()) + max_tokens);
  start_stories(pages);
  auto request = request_for(prompt, max_tokens);
  request.suppressed_tokens = end_tokens();
  const auto exact = expect_same_with_lookup({request}, 8).speculative;
  EXPECT_EQ(exact[0].ids.size(), max_tokens);
  EXPECT_EQ(stop_of(exact[0]), StopReason::length);

  start_stories(pages_for(fixture_.context_length()));
  request.options.max_tokens = 1000;  // the context ends it first
  const auto to_the_end = expect_same_with_lookup({request}, 8).speculative;
  EXPECT_EQ(stop_of(to_the_end[0]), StopReason::length);
  EXPECT_EQ(prompt.size() + to_the_end[0].ids.size(),
            static_cast<size_t>(fixture_.context_length()) + 1);
}

}  // namespace
}  // namespace weft
