// Draft-model speculation in the scheduler (a draft engine, SchedulerRequest::speculation with
// draft_model): the drafts of all drafting streams come from batched draft-model calls and are
// verified in the target's batched calls, and every request gets exactly the tokens, text and
// stop of the same request without speculation — greedy (then the fixtures' independent
// continuations), seeded sampling, a grammar, stop strings — with the target's model calls
// fewer by the drafts accepted and every KV page of both pools back at the end. The draft is
// the target model itself (its drafts are then the greedy tokens: every one is kept) or
// another file of the same vocabulary (some are refused).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/native_backend.hpp"
#include "model/model.hpp"
#include "runtime/same_vocabulary.hpp"
#include "runtime/scheduler.hpp"
#include "support/reference_logits.hpp"
#include "support/reference_scheduler.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

using runtime::Scheduler;
using runtime::SchedulerOptions;
using runtime::SchedulerRequest;

using test::Collected;
using test::read_to_end;
using test::request_for;
using test::stop_of;

std::vector<SchedulerRequest> with_draft_model(std::vector<SchedulerRequest> requests,
                                               uint32_t draft_tokens) {
  for (auto& request : requests) {
    request.speculation = {.draft_tokens = draft_tokens, .draft_model = true};
  }
  return requests;
}

test::FixtureModel fixture_named(const std::string& arch, const std::string& variant) {
  const auto gguf = test::shared_path("fixtures/" + arch + "/" + arch + "-" + variant + ".gguf");
  return {arch, variant, gguf};
}

class SchedulerDraftModel : public test::ReferenceSchedulerTest {
 protected:
  // Both engines with the reference set-up (support/reference_scheduler.hpp); the draft pool
  // holds `draft_pages` pages (0: 16 more than the target's).
  void start(const test::FixtureModel& target, const test::FixtureModel& draft,
             int64_t kv_pages = 128, SchedulerOptions options = {}, int64_t draft_pages = 0) {
    draft_ = draft;
    draft_pages_ = draft_pages;
    ReferenceSchedulerTest::start(target, kv_pages, options);
  }

  std::unique_ptr<runtime::Engine> draft_engine_for(
      const runtime::EngineOptions& engine_options) override {
    auto draft_options = engine_options;
    draft_options.kv_pages = draft_pages_ > 0 ? draft_pages_ : engine_options.kv_pages + 16;
    return backend::load_draft_engine(draft_.gguf.string(), fixture_.gguf.string(), *tokenizer_,
                                      {.context_length = draft_.context_length()}, draft_options);
  }

  void start_stories(const std::string& draft_variant = "f32", int64_t kv_pages = 128,
                     SchedulerOptions options = {}) {
    start(fixture_named("stories260K", "f32"), fixture_named("stories260K", draft_variant),
          kv_pages, options);
  }

  struct Comparison {
    std::vector<Collected> speculative;
    uint64_t plain_steps = 0;
    uint64_t speculative_steps = 0;
    uint64_t drafted = 0;
    uint64_t accepted = 0;
    uint64_t draft_steps = 0;
  };
  // Runs the requests without and then with the draft model: the same tokens, text and stop
  // reason for each.
  Comparison expect_same_with_draft_model(const std::vector<SchedulerRequest>& requests,
                                          uint32_t draft_tokens = 4) {
    Comparison out;
    const auto start = scheduler_->stats();
    const auto plain = run_together(requests, &out.plain_steps);
    const auto before = scheduler_->stats();
    EXPECT_EQ(before.draft_steps, start.draft_steps) << "plain requests used the draft model";
    out.speculative =
        run_together(with_draft_model(requests, draft_tokens), &out.speculative_steps);
    const auto after = scheduler_->stats();
    out.drafted = after.drafted - before.drafted;
    out.accepted = after.accepted - before.accepted;
    out.draft_steps = after.draft_steps - before.draft_steps;
    for (size_t i = 0; i < requests.size(); ++i) {
      EXPECT_EQ(out.speculative[i].ids, plain[i].ids) << "request " << i;
      EXPECT_EQ(out.speculative[i].text, plain[i].text) << "request " << i;
      EXPECT_EQ(stop_of(out.speculative[i]), stop_of(plain[i])) << "request " << i;
    }
    return out;
  }

  std::vector<int32_t> encode(const std::string& text) const {
    return tokenizer_->encode(text, {.add_bos = tokenizer_->add_bos_by_default()});
  }
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
  test::FixtureModel draft_;
  int64_t draft_pages_ = 0;
};

class SchedulerDraftModelFixtures : public SchedulerDraftModel,
                                    public ::testing::WithParamInterface<test::FixtureModel> {};

// Each F32 fixture as its own draft, three greedy prompts at once: the same tokens as without
// drafts, the first prompt's the fixture's independent continuation, and every draft kept (the
// draft's most likely token is the target's greedy choice, the same logits).
TEST_P(SchedulerDraftModelFixtures, SelfDraftedGreedyTokensAreTheReferenceAndAllKept) {
  start(GetParam(), GetParam(), 64);
  const auto full = test::read_token_ids(fixture_.reference("tokens.txt"));
  const std::vector<std::vector<int32_t>> prompts = {
      full, {full.begin(), full.begin() + 7}, {full.begin(), full.begin() + 19}};
  std::vector<SchedulerRequest> requests;
  for (const auto& prompt : prompts) requests.push_back(request_for(prompt, 32));
  const auto compared = expect_same_with_draft_model(requests);

  std::vector<int32_t> expected;
  for (auto id : test::read_token_ids(fixture_.reference("greedy.txt"))) {
    if (tokenizer_->is_end_of_generation(id)) break;
    expected.push_back(id);
  }
  const auto& ids = compared.speculative[0].ids;
  ASSERT_GE(ids.size(), std::min<size_t>(expected.size(), 32));
  EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.begin() + static_cast<long>(expected.size())),
            expected);
  EXPECT_GT(compared.drafted, 0u);
  EXPECT_EQ(compared.accepted, compared.drafted);
  EXPECT_GT(compared.draft_steps, 0u);
  EXPECT_LT(compared.speculative_steps, compared.plain_steps);
}

INSTANTIATE_TEST_SUITE_P(Float32Fixtures, SchedulerDraftModelFixtures,
                         ::testing::ValuesIn(test::float32_fixture_models()),
                         [](const auto& info) { return info.param.arch; });

// One greedy request alone, the model as its own draft: every model call after the prompt's
// settles its token and the drafts it kept, so the calls are the tokens less the accepted
// drafts; with every draft kept, k drafts make k + 1 tokens a call. Each verification is
// preceded by k draft-model calls (the first also catching the draft's cache up).
TEST_F(SchedulerDraftModel, AcceptedDraftsSaveExactlyTheirModelCalls) {
  start_stories();
  auto request = request_for(story_prompt(), 120);
  request.suppressed_tokens = end_tokens();  // exactly 120 tokens
  const auto compared = expect_same_with_draft_model({request}, 4);
  ASSERT_EQ(compared.speculative[0].ids.size(), 120u);
  EXPECT_EQ(compared.plain_steps, 120u);
  EXPECT_EQ(compared.accepted, compared.drafted);
  EXPECT_EQ(compared.speculative_steps, 120u - compared.accepted);
  // 119 tokens after the prompt's, 5 a call: 24 calls, the last with the 3 drafts room left.
  EXPECT_EQ(compared.speculative_steps, 1u + 24u);
  EXPECT_EQ(compared.draft_steps, 23u * 4u + 3u);
}

// Greedy, seeded sampling, a grammar and a stop string together, with the model itself and
// with its F16 copy as the draft: each request gets the tokens it gets without drafts, drafts
// are kept, and the drafting never adds a target model call.
TEST_F(SchedulerDraftModel, MixedRequestsKeepTheirTokensWithEitherDraft) {
  for (const std::string draft : {"f32", "f16"}) {
    SCOPED_TRACE("draft stories260K-" + draft);
    start_stories(draft);
    std::vector<SchedulerRequest> requests;
    requests.push_back(request_for(story_prompt(), 100));
    auto seeded = request_for(story_prompt(), 100, 0.9f);
    seeded.options.top_k = 40;
    seeded.options.seed = 7;
    requests.push_back(seeded);
    auto constrained = request_for(story_prompt(), 24, 0.8f);
    constrained.options.seed = 3;
    constrained.options.grammar = "root ::= [a-z ]+";
    requests.push_back(constrained);
    auto stopped = request_for(encode("Tom and his dog went to the park."), 80);
    stopped.options.stop = {"park"};
    requests.push_back(stopped);
    requests.push_back(request_for(encode("Tom and his dog went to the park."), 80));

    const auto compared = expect_same_with_draft_model(requests, 5);
    const auto& speculative = compared.speculative;
    ASSERT_GE(speculative[1].ids.size(), 20u) << "too short a sample to compare";
    ASSERT_GE(speculative[2].ids.size(), 8u) << "too short a sample to compare";
    EXPECT_TRUE(std::ranges::all_of(speculative[2].text, [](char c) {
      return c == ' ' || (c >= 'a' && c <= 'z');
    })) << speculative[2].text;
    EXPECT_GT(compared.drafted, 0u);
    EXPECT_GT(compared.accepted, compared.drafted / 4) << "the draft is the same model";
    EXPECT_LE(compared.accepted, compared.drafted);
    EXPECT_LT(compared.speculative_steps, compared.plain_steps);
  }
}

// A synthetic fixture drafting for another file of its vocabulary whose greedy tokens often
// differ (llama Q4_0 for llama F32): refused drafts are cut from both caches at once and the
// tokens stay the target's.
TEST_F(SchedulerDraftModel, ADifferentDraftIsOftenRefusedAndChangesNothing) {
  start(fixture_named("llama", "f32"), fixture_named("llama", "q4_0"), 96);
  const auto full = test::read_token_ids(fixture_.reference("tokens.txt"));
  std::vector<SchedulerRequest> requests;
  for (size_t length : {full.size(), size_t{5}, size_t{13}}) {
    requests.push_back(request_for({full.begin(), full.begin() + static_cast<long>(length)}, 40));
  }
  auto seeded = request_for(full, 40, 1.0f);
  seeded.options.seed = 5;
  requests.push_back(seeded);
  const auto compared = expect_same_with_draft_model(requests, 3);
  EXPECT_GT(compared.drafted, 0u);
  EXPECT_LT(compared.accepted, compared.drafted) << "a Q4_0 copy never disagreed";
}

// Model calls of four rows for four streams and prefill chunks of three: the draft model's
// catch-up goes in chunks too, drafts get only the rows the decodes leave, and the tokens stay.
TEST_F(SchedulerDraftModel, ATightRowBudgetCutsDraftsNotDecodes) {
  SchedulerOptions options;
  options.max_batch_tokens = 4;
  options.prefill_chunk = 3;
  start_stories("f32", 128, options);
  std::vector<SchedulerRequest> requests;
  for (uint32_t tokens : {60u, 40u, 50u}) requests.push_back(request_for(story_prompt(), tokens));
  requests.push_back(request_for(encode("Tom and his dog went to the park."), 50));
  const auto compared = expect_same_with_draft_model(requests, 6);
  EXPECT_GT(compared.accepted, 0u);
}

// max_tokens inside a run of kept drafts, and stop strings whose text a draft carries: each
// request ends exactly where it ends without drafts.
TEST_F(SchedulerDraftModel, MaxTokensAndStopStringsEndInsideDraftsExactly) {
  start_stories();
  std::vector<SchedulerRequest> requests;
  for (uint32_t max_tokens = 1; max_tokens <= 20; ++max_tokens) {
    requests.push_back(request_for(story_prompt(), max_tokens));
  }
  const auto capped = expect_same_with_draft_model(requests, 8).speculative;
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
  const auto compared = expect_same_with_draft_model(stopped, 8);
  EXPECT_GT(compared.accepted, 0u);
  for (const auto& result : compared.speculative) EXPECT_LT(result.text.size(), text.size());
}

// A target pool with exactly one request's worst case, and one request running into the end
// of the context: the drafts never need a slot past either, in the target or the draft.
TEST_F(SchedulerDraftModel, DraftsFitThePagesAndTheContext) {
  const auto prompt_length = [&] {
    start_stories();
    return static_cast<int64_t>(story_prompt().size());
  }();
  const auto max_tokens =
      static_cast<uint32_t>(pages_for(prompt_length + 60) * page_tokens_ - prompt_length);
  start_stories("f32", pages_for(prompt_length + max_tokens));
  auto request = request_for(story_prompt(), max_tokens);
  request.suppressed_tokens = end_tokens();
  const auto exact = expect_same_with_draft_model({request}, 8).speculative;
  EXPECT_EQ(exact[0].ids.size(), max_tokens);
  EXPECT_EQ(stop_of(exact[0]), StopReason::length);

  start_stories("f32", pages_for(fixture_.context_length()));
  request.options.max_tokens = 1000;  // the context ends it first
  const auto to_the_end = expect_same_with_draft_model({request}, 8).speculative;
  EXPECT_EQ(stop_of(to_the_end[0]), StopReason::length);
  EXPECT_EQ(story_prompt().size() + to_the_end[0].ids.size(),
            static_cast<size_t>(fixture_.context_length()) + 1);
}

// A draft pool with room for one stream's tokens only: the streams that find no free page
// decode without drafts until a finished stream's pages come back, none fails, and the tokens
// are still the plain ones — in more calls than with a pool for all three.
TEST_F(SchedulerDraftModel, AFullDraftPoolMeansNoDraftsNotFailures) {
  start_stories();
  const auto story = story_prompt();
  std::vector<SchedulerRequest> requests;
  for (int i = 0; i < 3; ++i) requests.push_back(request_for(story, 40));
  const auto roomy = expect_same_with_draft_model(requests, 4);

  const auto pages_of_one = pages_for(static_cast<int64_t>(story.size()) + 40);
  start(fixture_named("stories260K", "f32"), fixture_named("stories260K", "f32"), 128, {},
        pages_of_one);
  const auto tight = expect_same_with_draft_model(requests, 4);
  for (const auto& result : tight.speculative) EXPECT_EQ(result.ids.size(), 40u);
  EXPECT_GT(tight.accepted, 0u);
  EXPECT_LT(tight.speculative_steps, tight.plain_steps);
  EXPECT_GT(tight.speculative_steps, roomy.speculative_steps)
      << "every stream drafted from the start in a pool for one";
}

// Asking for draft-model drafts from a scheduler without a draft model is the request's
// error, not the scheduler's.
TEST(SchedulerDraftModelErrors, ARequestForDraftsWithoutADraftModelFails) {
  const auto fixture = fixture_named("stories260K", "f32");
  auto model = model::Model::load(fixture.gguf.string(), {.context_length = 512});
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer =
      tokenizer::Tokenizer::from_gguf(model->file());
  Scheduler scheduler(std::make_unique<runtime::Engine>(model, runtime::EngineOptions{}),
                      tokenizer);
  auto request = request_for(tokenizer->encode("Once"), 8);
  request.speculation = {.draft_tokens = 4, .draft_model = true};
  auto stream = scheduler.submit(request);
  const auto result = read_to_end(stream);
  const auto* error = std::get_if<ErrorEvent>(&result.terminal);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::invalid_request);
  EXPECT_NE(error->message.find("no draft model"), std::string::npos) << error->message;
}

// A draft of another vocabulary (llama.cpp's LLaMA SentencePiece vocabulary, 32,000 tokens,
// for stories260K's 512; every fixture shares the latter) is refused from its metadata,
// naming both files, before its weights are looked for.
TEST(SchedulerDraftModelErrors, ADraftOfAnotherVocabularyIsRefusedNamingBothFiles) {
  const auto target = fixture_named("stories260K", "f32");
  const auto draft = test::shared_path("models/vocab/ggml-vocab-llama-spm.gguf").string();
  auto model = model::Model::load(target.gguf.string(), {.context_length = 512});
  const auto tokenizer = tokenizer::Tokenizer::from_gguf(model->file());
  try {
    backend::load_draft_engine(draft, target.gguf.string(), *tokenizer, {}, {});
    FAIL() << "the draft was accepted";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_EQ(error.code(), ErrorCode::invalid_request);
    EXPECT_NE(message.find(target.gguf.string()), std::string::npos) << message;
    EXPECT_NE(message.find(draft), std::string::npos) << message;
    EXPECT_NE(message.find("different vocabularies (32000 and 512 tokens)"), std::string::npos)
        << message;
  }
}

// Two vocabularies of one size that differ in one token's bytes: the check names the token
// and both models; two files of one vocabulary (llama F32 and its Q4_0 copy) pass.
TEST(SchedulerDraftModelErrors, TheVocabularyCheckComparesEveryTokensBytes) {
  const auto letters = [](int32_t id) -> std::optional<std::string> {
    return std::string(1, static_cast<char>('a' + id));
  };
  const auto one_differs = [](int32_t id) -> std::optional<std::string> {
    return id == 2 ? std::string("\n") : std::string(1, static_cast<char>('a' + id));
  };
  try {
    runtime::require_same_vocabulary({"target.gguf", 4, letters}, {"draft.gguf", 4, one_differs});
    FAIL() << "different vocabularies passed";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "the draft model \"draft.gguf\" and the target model \"target.gguf\" have "
              "different vocabularies: token 2 is \"\\x0a\" in the draft and \"c\" in the "
              "target");
  }

  const auto a = fixture_named("llama", "f32");
  const auto b = fixture_named("llama", "q4_0");
  auto model_a = model::Model::load(a.gguf.string(), {});
  auto model_b = model::Model::load(b.gguf.string(), {});
  const auto tokens_a = tokenizer::Tokenizer::from_gguf(model_a->file());
  const auto tokens_b = tokenizer::Tokenizer::from_gguf(model_b->file());
  EXPECT_NO_THROW(
      runtime::require_same_vocabulary(*tokens_a, a.gguf.string(), *tokens_b, b.gguf.string()));
}

}  // namespace
}  // namespace weft
