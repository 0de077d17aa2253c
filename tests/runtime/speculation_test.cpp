// Speculative decoding with weft::Generator (weft/speculator.hpp): whatever the drafts, the
// tokens are those of the same generator without a speculator (greedy: the fixture's
// independent float64 continuation; sampled: the same draws of a seeded sampler), and good
// drafts save model passes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"
#include "weft/generator.hpp"
#include "weft/speculator.hpp"

namespace weft {
namespace {

// Drafts what a plain run produced next (all right), or ids shifted by one (all wrong).
class ScriptedSpeculator : public Speculator {
 public:
  ScriptedSpeculator(std::vector<int32_t> answer, size_t prompt_length, size_t depth, bool wrong)
      : answer_(std::move(answer)), prompt_length_(prompt_length), depth_(depth), wrong_(wrong) {}
  std::vector<int32_t> draft() override {
    const size_t produced = seen_ - prompt_length_;
    std::vector<int32_t> drafts;
    for (size_t i = produced; i < answer_.size() && drafts.size() < depth_; ++i) {
      drafts.push_back(wrong_ ? (answer_[i] + 1) % 256 : answer_[i]);
    }
    return drafts;
  }
  void accept(std::span<const int32_t> tokens) override { seen_ += tokens.size(); }
  void rollback(size_t drafts) override { rolled_back += drafts; }
  void reset() override { seen_ = 0; }
  size_t rolled_back = 0;

 private:
  std::vector<int32_t> answer_;
  size_t prompt_length_;
  size_t depth_;
  bool wrong_;
  size_t seen_ = 0;
};

class Speculation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = ContextRuntime::open(
        {.model_path = test::shared_path("fixtures/llama/llama-f32.gguf").string(),
         .threads = 2,
         .kv_pages = 64,
         .kv_f32 = true,
         .reference_kernels = true});
    stories_ = ContextRuntime::open(
        {.model_path = test::shared_path("models/stories260K/stories260K-f32.gguf").string(),
         .threads = 2,
         .kv_pages = 64});
  }
  static void TearDownTestSuite() {
    fixture_.reset();
    stories_.reset();
  }

  static std::vector<int32_t> fixture_tokens(const std::string& kind) {
    return test::read_token_ids(
        test::shared_path("fixtures/llama/reference/llama-f32." + kind + ".txt"));
  }

  struct Run {
    std::vector<int32_t> tokens;
    SpeculationStats speculation;
    GeneratorStop stop;
    std::vector<int32_t> context_tokens;
    std::vector<float> context_logits;
  };
  static Run generate(ContextRuntime& runtime, const std::vector<int32_t>& prompt,
                      GeneratorOptions options, ConstraintSet* constraints = nullptr) {
    auto context = runtime.create();
    context.append(prompt);
    Generator generator(runtime, context, options, constraints);
    while (generator.step()) {
    }
    return {generator.tokens(), generator.speculation(), generator.stop_reason(), context.tokens(),
            std::vector<float>(context.logits().begin(), context.logits().end())};
  }
  static std::vector<int32_t> story_prompt() {
    // Stories of this model come back to their phrases ("in the park", "Lily said"): the
    // one-token suffixes of the n-gram drafter find them.
    return stories_->encode(
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
        "park with her red ball.");
  }
  static GeneratorOptions greedy(uint32_t max_tokens) {
    GeneratorOptions options;
    options.sampling.temperature = 0.0f;
    options.sampling.max_tokens = max_tokens;
    return options;
  }

  static std::shared_ptr<ContextRuntime> fixture_;
  static std::shared_ptr<ContextRuntime> stories_;
};

std::shared_ptr<ContextRuntime> Speculation::fixture_;
std::shared_ptr<ContextRuntime> Speculation::stories_;

TEST(NgramSpeculatorTest, ProposesWhatFollowedTheLatestEarlierOccurrenceOfTheSuffix) {
  NgramSpeculator speculator(3, 4);
  const std::vector<int32_t> history = {7, 1, 2, 3, 9, 1, 2, 5, 6, 8, 1, 2};
  speculator.accept(history);
  // The suffix [1, 2] occurred at 5 (latest) and at 1: what followed the latest is drafted.
  EXPECT_EQ(speculator.draft(), (std::vector<int32_t>{5, 6, 8, 1}));
  speculator.reset();
  speculator.accept(std::vector<int32_t>{4, 5, 6, 5});
  // [6, 5] never occurred before; the one-token suffix [5] did, at 1.
  EXPECT_EQ(speculator.draft(), (std::vector<int32_t>{6, 5}));
  speculator.reset();
  speculator.accept(std::vector<int32_t>{1, 2, 3});
  EXPECT_TRUE(speculator.draft().empty());
  EXPECT_THROW(NgramSpeculator(1, 4), Error);
  EXPECT_THROW(NgramSpeculator(3, 0), Error);
}

TEST_F(Speculation, GreedyWithNgramDraftsGivesTheIndependentContinuation) {
  const auto prompt = fixture_tokens("tokens");
  NgramSpeculator speculator;
  auto options = greedy(32);
  options.speculator = &speculator;
  const auto run = generate(*fixture_, prompt, options);
  const auto stops = fixture_->stop_tokens();
  std::vector<int32_t> expected;
  for (int32_t id : fixture_tokens("exact.greedy")) {
    if (std::ranges::binary_search(stops, id)) break;
    expected.push_back(id);
  }
  EXPECT_EQ(run.tokens, expected);
}

TEST_F(Speculation, GreedyTokensAreThoseOfPlainDecodingInFewerPasses) {
  const auto plain = generate(*stories_, story_prompt(), greedy(120));
  NgramSpeculator speculator;
  auto options = greedy(120);
  options.speculator = &speculator;
  const auto speculative = generate(*stories_, story_prompt(), options);
  EXPECT_EQ(speculative.tokens, plain.tokens);
  EXPECT_EQ(speculative.context_tokens, plain.context_tokens);
  // The repeated passage is drafted and accepted: fewer passes than tokens.
  EXPECT_GT(speculative.speculation.accepted, 0u);
  EXPECT_LT(speculative.speculation.passes, speculative.tokens.size());
  EXPECT_EQ(plain.speculation.passes, plain.tokens.size());
}

TEST_F(Speculation, SeededSamplingDrawsTheSameTokens) {
  auto options = greedy(120);
  options.sampling.temperature = 0.9f;
  options.sampling.top_k = 40;
  options.sampling.seed = 7;
  const auto plain = generate(*stories_, story_prompt(), options);
  NgramSpeculator speculator;
  options.speculator = &speculator;
  const auto speculative = generate(*stories_, story_prompt(), options);
  ASSERT_GE(plain.tokens.size(), 20u) << "too short a sample to compare";
  EXPECT_EQ(speculative.tokens, plain.tokens);
  EXPECT_GT(speculative.speculation.drafted, 0u);
}

TEST_F(Speculation, RightDraftsAreAllKeptAndWrongOnesAllRefused) {
  const auto prompt = story_prompt();
  const auto plain = generate(*stories_, prompt, greedy(40));
  ASSERT_EQ(plain.tokens.size(), 40u) << "the plain run must not stop early for this test";

  ScriptedSpeculator right(plain.tokens, prompt.size(), 4, false);
  auto options = greedy(40);
  options.speculator = &right;
  const auto good = generate(*stories_, prompt, options);
  EXPECT_EQ(good.tokens, plain.tokens);
  // Each pass settles its own token and four drafts: 40 tokens in 8 passes.
  EXPECT_EQ(good.speculation.passes, 8u);
  EXPECT_EQ(good.speculation.accepted, good.speculation.drafted);
  EXPECT_EQ(right.rolled_back, 0u);

  ScriptedSpeculator wrong(plain.tokens, prompt.size(), 3, true);
  options.speculator = &wrong;
  const auto bad = generate(*stories_, prompt, options);
  EXPECT_EQ(bad.tokens, plain.tokens);
  EXPECT_EQ(bad.context_tokens, plain.context_tokens);
  EXPECT_EQ(bad.speculation.accepted, 0u);
  EXPECT_EQ(wrong.rolled_back, bad.speculation.drafted);
  // The context after refused drafts has the logits of its last token, as after plain steps.
  ASSERT_EQ(bad.context_logits.size(), plain.context_logits.size());
  for (size_t i = 0; i < plain.context_logits.size(); ++i) {
    ASSERT_NEAR(bad.context_logits[i], plain.context_logits[i], 1e-3) << "logit " << i;
  }
}

TEST_F(Speculation, StopTokensAndMaxTokensCutADraftExactly) {
  const auto prompt = story_prompt();
  const auto plain = generate(*stories_, prompt, greedy(40));
  ScriptedSpeculator right(plain.tokens, prompt.size(), 8, false);

  auto options = greedy(6);  // drafts are cut to the room max_tokens leaves
  options.speculator = &right;
  const auto capped = generate(*stories_, prompt, options);
  EXPECT_EQ(capped.tokens, std::vector<int32_t>(plain.tokens.begin(), plain.tokens.begin() + 6));
  EXPECT_EQ(capped.stop, GeneratorStop::max_tokens);
  EXPECT_EQ(capped.context_tokens.size(), prompt.size() + 6);

  // The fourth token as a stop token: it arrives as a draft, ends the generation and is cut.
  options = greedy(40);
  options.speculator = &right;
  options.stop_tokens = {plain.tokens[3]};
  const auto first_stop = std::ranges::find(plain.tokens, plain.tokens[3]) - plain.tokens.begin();
  const auto stopped = generate(*stories_, prompt, options);
  EXPECT_EQ(stopped.tokens,
            std::vector<int32_t>(plain.tokens.begin(), plain.tokens.begin() + first_stop));
  EXPECT_EQ(stopped.stop, GeneratorStop::stop_token);
  EXPECT_EQ(stopped.context_tokens.size(), prompt.size() + static_cast<size_t>(first_stop));
}

TEST_F(Speculation, ConstrainedGenerationIsTheSameWithDrafts) {
  const auto prompt = story_prompt();
  auto options = greedy(24);
  options.sampling.temperature = 0.8f;
  options.sampling.seed = 3;
  ConstraintSet plain_constraints;
  plain_constraints.add(Constraint::regex(*stories_, "[a-z ]{1,60}"));
  const auto plain = generate(*stories_, prompt, options, &plain_constraints);
  NgramSpeculator speculator;
  options.speculator = &speculator;
  ConstraintSet constraints;
  constraints.add(Constraint::regex(*stories_, "[a-z ]{1,60}"));
  const auto speculative = generate(*stories_, prompt, options, &constraints);
  ASSERT_GE(plain.tokens.size(), 8u) << "too short a sample to compare";
  EXPECT_EQ(speculative.tokens, plain.tokens);
  EXPECT_GT(speculative.speculation.drafted, 0u);
  const auto text = stories_->decode(speculative.tokens);
  EXPECT_TRUE(std::ranges::all_of(text, [](char c) { return c == ' ' || (c >= 'a' && c <= 'z'); }))
      << text;
}

TEST_F(Speculation, ADraftOutsideTheVocabularyIsAnErrorAndTheOwnTokenIsKept) {
  class Broken : public Speculator {
   public:
    std::vector<int32_t> draft() override { return {1 << 30}; }
    void accept(std::span<const int32_t>) override {}
    void rollback(size_t) override {}
    void reset() override {}
  } broken;
  auto context = stories_->create();
  const auto prompt = story_prompt();
  context.append(prompt);
  auto options = greedy(8);
  options.speculator = &broken;
  Generator generator(*stories_, context, options);
  EXPECT_THROW(generator.advance(), Error);
  EXPECT_EQ(generator.tokens().size(), 1u);
  EXPECT_EQ(context.length(), static_cast<int64_t>(prompt.size()) + 1);
}

}  // namespace
}  // namespace weft
