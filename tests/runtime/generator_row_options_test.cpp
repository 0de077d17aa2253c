// The options that change the logits row before sampling: a grammar (tokens it forbids are
// never chosen; the generation ends when only end-of-generation remains), logit_bias, and
// the log-probabilities reported with each token.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "runtime/generator.hpp"
#include "support/fake_tokenizer.hpp"

namespace weft::runtime {
namespace {

using weft::testing::FakeTokenizer;
using namespace std::chrono_literals;

struct RowOutcome {
  std::vector<TokenEvent> tokens;
  std::optional<DoneEvent> done;
  std::optional<ErrorEvent> error;
  std::string text() const {
    std::string all;
    for (const auto& token : tokens) all += token.text;
    return all;
  }
};

// Feeds rows[i] at the i-th step (the last one from then on), up to `steps` rows.
RowOutcome run_rows(const FakeTokenizer& tokenizer, const GenerationOptions& options,
                    const std::vector<std::vector<float>>& rows, size_t steps = 20) {
  GenerationChannel channel{"test"};
  GenerationStream stream{channel.state()};
  Generator generator(tokenizer, options, {1}, channel);
  for (size_t step = 0; !generator.finished() && step < steps;) {
    generator.consume_input(generator.pending_input().size());
    if (generator.needs_logits()) {
      generator.on_logits(rows[std::min(step, rows.size() - 1)]);
      ++step;
    }
  }
  RowOutcome outcome;
  while (auto event = stream.next_for(1s)) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) outcome.tokens.push_back(*token);
    if (auto* done = std::get_if<DoneEvent>(&*event)) outcome.done = *done;
    if (auto* error = std::get_if<ErrorEvent>(&*event)) outcome.error = *error;
  }
  return outcome;
}

// Feeds `row` every time the generator asks, up to `steps` rows.
RowOutcome run_generation(const FakeTokenizer& tokenizer, const GenerationOptions& options,
                          const std::vector<float>& row, size_t steps = 20) {
  return run_rows(tokenizer, options, {row}, steps);
}

//                      0        1    2    3     4
FakeTokenizer tokens() {
  return FakeTokenizer({"<eos>", "a", "b", "ab", "c"}, {0});
}

GenerationOptions greedy_generation() {
  GenerationOptions options;
  options.temperature = 0.0f;
  options.max_tokens = 50;
  return options;
}

TEST(GeneratorGrammar, ForbiddenTokensAreNeverChosen) {
  auto tokenizer = tokens();
  auto options = greedy_generation();
  options.grammar = R"(root ::= "ab" "c")";
  // "c" is always the model's favourite; the rest tie, so the lowest allowed id wins.
  std::vector<float> row = {-5, -5, -5, -5, 5};
  auto outcome = run_generation(tokenizer, options, row);
  ASSERT_TRUE(outcome.done) << (outcome.error ? outcome.error->message : "");
  EXPECT_EQ(outcome.text(), "abc");  // "a" (id 1 before "ab"), then "b", then "c"
  EXPECT_EQ(outcome.done->reason, StopReason::end);
  EXPECT_EQ(outcome.done->usage.completion_tokens, 3u);  // ended without an end token
}

TEST(GeneratorGrammar, EndTokenOnlyOnceTheGrammarIsComplete) {
  auto tokenizer = tokens();
  auto options = greedy_generation();
  options.grammar = R"(root ::= "a"+)";
  std::vector<float> row = {5, -5, -5, -5, -5};  // the model wants to stop at once
  auto outcome = run_generation(tokenizer, options, row);
  ASSERT_TRUE(outcome.done);
  EXPECT_EQ(outcome.text(), "a");
  EXPECT_EQ(outcome.done->usage.completion_tokens, 2u);  // "a", then the end token
}

TEST(GeneratorGrammar, BadGrammarIsTheRequestsError) {
  auto tokenizer = tokens();
  auto options = greedy_generation();
  options.grammar = "root ::= [a-";
  auto outcome = run_generation(tokenizer, options, {0, 0, 0, 0, 0});
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, ErrorCode::invalid_request);
  EXPECT_EQ(outcome.error->message, "grammar:1:10: unterminated character class");
}

TEST(GeneratorGrammar, NoTokenCanContinue) {
  auto tokenizer = tokens();
  auto options = greedy_generation();
  options.grammar = R"(root ::= "z")";
  auto outcome = run_generation(tokenizer, options, {0, 0, 0, 0, 0});
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, ErrorCode::invalid_request);
}

//                          0        1      2         3      4     5    6       7
FakeTokenizer call_tokens() {
  return FakeTokenizer({"<eos>", "hi ", "<call>", "<ca", "ll>{", "{", "x", "}"}, {0});
}

// A row whose favourite is `favourite` (the rest tie low).
std::vector<float> favouring(int favourite) {
  std::vector<float> row(8, -5.0f);
  row[static_cast<size_t>(favourite)] = 5.0f;
  return row;
}

TEST(GeneratorGrammarTrigger, TextBeforeTheTriggerIsFreeAndTheGrammarHoldsAfterIt) {
  auto tokenizer = call_tokens();
  auto options = greedy_generation();
  options.grammar = R"(root ::= "<call>{" "x" "}")";
  options.grammar_trigger = "<call>";
  // The model wants "hi " twice, then "<call>", then "hi " forever: after the trigger only
  // the grammar's tokens remain, and once it is complete the generation ends.
  auto outcome =
      run_rows(tokenizer, options, {favouring(1), favouring(1), favouring(2), favouring(1)});
  ASSERT_TRUE(outcome.done) << (outcome.error ? outcome.error->message : "");
  EXPECT_EQ(outcome.text(), "hi hi <call>{x}");
  EXPECT_EQ(outcome.done->reason, StopReason::end);
}

TEST(GeneratorGrammarTrigger, ATriggerSplitAcrossTokensStartsTheGrammarMidToken) {
  auto tokenizer = call_tokens();
  auto options = greedy_generation();
  options.grammar = R"(root ::= "<call>{" "x" "}")";
  options.grammar_trigger = "<call>";
  // "<ca" + "ll>{": the grammar starts at '<' and has read "<call>{" after the second token.
  auto outcome = run_rows(tokenizer, options, {favouring(3), favouring(4), favouring(7)});
  ASSERT_TRUE(outcome.done) << (outcome.error ? outcome.error->message : "");
  EXPECT_EQ(outcome.text(), "<call>{x}");
}

TEST(GeneratorGrammarTrigger, WithoutTheTriggerNothingIsConstrained) {
  auto tokenizer = call_tokens();
  auto options = greedy_generation();
  options.grammar = R"(root ::= "<call>{" "x" "}")";
  options.grammar_trigger = "<call>";
  auto outcome = run_rows(tokenizer, options, {favouring(6), favouring(7), favouring(0)});
  ASSERT_TRUE(outcome.done) << (outcome.error ? outcome.error->message : "");
  EXPECT_EQ(outcome.text(), "x}");
  EXPECT_EQ(outcome.done->reason, StopReason::end);
}

TEST(GeneratorGrammarTrigger, TextAfterTheTriggerThatCannotFitIsAnError) {
  auto tokenizer = call_tokens();
  auto options = greedy_generation();
  options.grammar = R"(root ::= "<call>[" "x" "]")";
  options.grammar_trigger = "<call>";
  // "ll>{" completes "<call>{", which the grammar refuses at '{'.
  auto outcome = run_rows(tokenizer, options, {favouring(3), favouring(4)});
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, ErrorCode::invalid_request);
  EXPECT_NE(outcome.error->message.find("trigger"), std::string::npos);
}

TEST(GeneratorGrammarTrigger, ATriggerWithoutAGrammarIsRefused) {
  auto tokenizer = call_tokens();
  auto options = greedy_generation();
  options.grammar_trigger = "<call>";
  auto outcome = run_generation(tokenizer, options, favouring(1));
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, ErrorCode::invalid_request);
}

TEST(GeneratorLogitBias, ShiftsTheChoice) {
  auto tokenizer = tokens();
  auto options = greedy_generation();
  options.max_tokens = 1;
  options.logit_bias = {{2, 20.0f}};
  auto outcome = run_generation(tokenizer, options, {-5, 5, -5, -5, -5});
  ASSERT_TRUE(outcome.done);
  EXPECT_EQ(outcome.text(), "b");
}

TEST(GeneratorLogitBias, IdOutsideTheVocabularyIsRefused) {
  auto tokenizer = tokens();
  auto options = greedy_generation();
  options.logit_bias = {{5, 1.0f}};
  auto outcome = run_generation(tokenizer, options, {0, 0, 0, 0, 0});
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, ErrorCode::invalid_request);
  EXPECT_NE(outcome.error->message.find("token id 5"), std::string::npos);
}

TEST(GeneratorLogprobs, NaturalLogSoftmaxOfTheAdjustedRow) {
  auto tokenizer = tokens();
  auto options = greedy_generation();
  options.max_tokens = 1;
  options.temperature = 0.5f;  // reported at temperature 1 whatever the sampling temperature
  options.seed = 3;
  options.top_k = 1;  // the draw is then the argmax
  options.logprobs = true;
  options.top_logprobs = 2;
  options.logit_bias = {{2, 1.0f}};
  const std::vector<float> row = {0.0f, 2.0f, 1.0f, -1.0f, 0.5f};
  auto outcome = run_generation(tokenizer, options, row);
  ASSERT_TRUE(outcome.done) << (outcome.error ? outcome.error->message : "");
  ASSERT_EQ(outcome.tokens.size(), 1u);
  // After the bias the logits are {0, 2, 2, -1, 0.5}: ids 1 and 2 tie at the top.
  const double norm = std::log(std::exp(0.0) + 2 * std::exp(2.0) + std::exp(-1.0) + std::exp(0.5));
  const auto& token = outcome.tokens[0];
  ASSERT_TRUE(token.logprob);
  EXPECT_EQ(token.logprob->id, 1);
  EXPECT_EQ(token.logprob->bytes, "a");
  EXPECT_NEAR(token.logprob->logprob, 2.0 - norm, 1e-5);
  ASSERT_EQ(token.top_logprobs.size(), 2u);
  EXPECT_EQ(token.top_logprobs[0].id, 1);
  EXPECT_EQ(token.top_logprobs[1].id, 2);
  EXPECT_NEAR(token.top_logprobs[1].logprob, 2.0 - norm, 1e-5);
}

TEST(GeneratorLogprobs, MaskedTokensAreNoAlternatives) {
  auto tokenizer = tokens();
  auto options = greedy_generation();
  options.max_tokens = 1;
  options.grammar = R"(root ::= "c")";
  options.top_logprobs = 5;
  auto outcome = run_generation(tokenizer, options, {0, 1, 2, 3, -1});
  ASSERT_TRUE(outcome.done);
  ASSERT_EQ(outcome.tokens.size(), 1u);
  ASSERT_EQ(outcome.tokens[0].top_logprobs.size(), 1u);  // only "c" is allowed
  EXPECT_EQ(outcome.tokens[0].top_logprobs[0].id, 4);
  EXPECT_NEAR(outcome.tokens[0].top_logprobs[0].logprob, 0.0, 1e-6);
}

TEST(GeneratorLogprobs, AtMostTwentyAlternatives) {
  auto tokenizer = tokens();
  auto options = greedy_generation();
  options.top_logprobs = 21;
  auto outcome = run_generation(tokenizer, options, {0, 0, 0, 0, 0});
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, ErrorCode::invalid_request);
}

}  // namespace
}  // namespace weft::runtime
