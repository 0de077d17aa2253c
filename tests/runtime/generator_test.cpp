#include "runtime/generator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/fake_tokenizer.hpp"
#include "weft/error.hpp"

namespace weft::runtime {
namespace {

using weft::testing::FakeTokenizer;
using namespace std::chrono_literals;

// "\xC3" and "\xA9" are the two bytes of U+00E9 (é), as byte-fallback tokens.
FakeTokenizer make_tokenizer() {
  return FakeTokenizer(
      {"<eos>", "Hel", "lo", " wor", "ld", "</", "stop", ">", "\xC3", "\xA9", "!", "a</stop>b"},
      {0});
}

GenerationOptions greedy_options(uint32_t max_tokens = 100) {
  GenerationOptions options;
  options.temperature = 0.0f;
  options.max_tokens = max_tokens;
  return options;
}

// A row whose argmax is `id`.
std::vector<float> row_for(const tokenizer::Tokenizer& tokenizer, TokenId id) {
  std::vector<float> row(static_cast<size_t>(tokenizer.vocab_size()), -5.0f);
  row.at(static_cast<size_t>(id)) = 5.0f;
  return row;
}

struct Collected {
  std::vector<TokenEvent> tokens;
  std::vector<Event> terminals;
  std::string text() const {
    std::string all;
    for (const auto& token : tokens) all += token.text;
    return all;
  }
  const DoneEvent& done() const { return std::get<DoneEvent>(terminals.at(0)); }
};

// Reads everything queued so far; call only after a terminal event was produced.
Collected drain(GenerationStream& stream) {
  Collected collected;
  while (auto event = stream.next_for(1s)) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      EXPECT_TRUE(collected.terminals.empty()) << "a token event came after the terminal event";
      collected.tokens.push_back(*token);
    } else {
      collected.terminals.push_back(*event);
    }
  }
  EXPECT_EQ(collected.terminals.size(), 1u) << "a generation ends with exactly one terminal event";
  return collected;
}

// Drives the generator like a scheduler with one sequence: feeds all pending input, then
// gives the row that makes the next scripted token the argmax. Returns how many rows it gave.
size_t drive(Generator& generator, const FakeTokenizer& tokenizer,
             const std::vector<std::string>& script, size_t chunk = 1000) {
  size_t rows = 0;
  while (!generator.finished()) {
    auto input = generator.pending_input();
    generator.consume_input(std::min(input.size(), chunk));
    if (!generator.needs_logits()) continue;
    if (rows == script.size()) break;
    generator.on_logits(row_for(tokenizer, tokenizer.id_of(script[rows++])));
  }
  return rows;
}

struct GeneratorFixture {
  FakeTokenizer tokenizer = make_tokenizer();
  GenerationChannel channel{"test"};
  GenerationStream stream{channel.state()};
  std::vector<TokenId> prompt = {1, 2};
};

TEST(Generator, StopStringSplitAcrossTokensIsNeverEmitted) {
  GeneratorFixture f;
  auto options = greedy_options();
  options.stop = {"</stop>"};
  Generator generator(f.tokenizer, options, f.prompt, f.channel);
  size_t rows = drive(generator, f.tokenizer, {"Hel", "lo", "</", "stop", ">", " wor", "ld"});
  EXPECT_EQ(rows, 5u) << "generation stops at the token that completes the stop string";
  auto collected = drain(f.stream);
  EXPECT_EQ(collected.text(), "Hello");
  EXPECT_EQ(collected.done().reason, StopReason::end);
  EXPECT_EQ(collected.done().usage.completion_tokens, 5u);
  for (const auto& token : collected.tokens) {
    EXPECT_EQ(token.text.find('<'), std::string::npos) << "part of the stop string escaped";
  }
}

TEST(Generator, StopStringInsideOneTokenKeepsOnlyTheTextBeforeIt) {
  GeneratorFixture f;
  auto options = greedy_options();
  options.stop = {"</stop>"};
  Generator generator(f.tokenizer, options, f.prompt, f.channel);
  size_t rows = drive(generator, f.tokenizer, {"Hel", "a</stop>b", "lo"});
  EXPECT_EQ(rows, 2u);
  auto collected = drain(f.stream);
  EXPECT_EQ(collected.text(), "Hela");
  EXPECT_EQ(collected.done().reason, StopReason::end);
}

TEST(Generator, FirstGeneratedWordKeepsItsSpaceAfterAPrompt) {
  // A SentencePiece-like tokenizer drops the space before the very first word of a text, but
  // generated text continues the prompt's text, so its first word keeps the space.
  FakeTokenizer tokenizer({"<eos>", "Hel", " wor"}, {0}, /*strips_leading_space=*/true);
  GenerationChannel channel("test");
  GenerationStream stream(channel.state());
  Generator generator(tokenizer, greedy_options(1), {1}, channel);
  drive(generator, tokenizer, {" wor"});
  EXPECT_EQ(drain(stream).text(), tokenizer.piece(2));
}

TEST(Generator, PaddedLogitRowsAreSampledOnlyOverTheVocabulary) {
  GeneratorFixture f;
  Generator generator(f.tokenizer, greedy_options(1), f.prompt, f.channel);
  generator.consume_input(2);
  auto row = row_for(f.tokenizer, f.tokenizer.id_of("lo"));
  row.resize(row.size() + 20, 50.0f);  // padding rows of the output matrix, never tokens
  generator.on_logits(row);
  EXPECT_EQ(drain(f.stream).text(), "lo");
}

TEST(Generator, HeldBackTextIsReleasedWhenTheStopDoesNotComplete) {
  GeneratorFixture f;
  auto options = greedy_options(3);
  options.stop = {"</stop>"};
  Generator generator(f.tokenizer, options, f.prompt, f.channel);
  drive(generator, f.tokenizer, {"Hel", "</", "lo"});
  auto collected = drain(f.stream);
  EXPECT_EQ(collected.text(), "Hel</lo");
  EXPECT_EQ(collected.done().reason, StopReason::length);
}

TEST(Generator, HeldBackTextIsFlushedAtTheEnd) {
  GeneratorFixture f;
  auto options = greedy_options(2);
  options.stop = {"</stop>"};
  Generator generator(f.tokenizer, options, f.prompt, f.channel);
  drive(generator, f.tokenizer, {"Hel", "</"});
  auto collected = drain(f.stream);
  EXPECT_EQ(collected.text(), "Hel</");
  EXPECT_EQ(collected.done().reason, StopReason::length);
  EXPECT_FALSE(collected.tokens.back().token_id.has_value()) << "the flushed tail has no id";
}

TEST(Generator, EndOfGenerationTokenEndsWithoutText) {
  GeneratorFixture f;
  Generator generator(f.tokenizer, greedy_options(), f.prompt, f.channel);
  size_t rows = drive(generator, f.tokenizer, {"Hel", "lo", "<eos>", "!"});
  EXPECT_EQ(rows, 3u);
  auto collected = drain(f.stream);
  EXPECT_EQ(collected.text(), "Hello");
  EXPECT_EQ(collected.done().reason, StopReason::end);
  EXPECT_EQ(collected.done().usage.prompt_tokens, 2u);
  EXPECT_EQ(collected.done().usage.completion_tokens, 3u) << "the end token was generated too";
  for (const auto& token : collected.tokens) EXPECT_NE(token.token_id, std::optional<TokenId>(0));
}

TEST(Generator, MaxTokensEndsWithLength) {
  GeneratorFixture f;
  Generator generator(f.tokenizer, greedy_options(3), f.prompt, f.channel);
  size_t rows = drive(generator, f.tokenizer, {"Hel", "lo", " wor", "ld", "!"});
  EXPECT_EQ(rows, 3u);
  EXPECT_TRUE(generator.finished());
  EXPECT_TRUE(generator.pending_input().empty());
  auto collected = drain(f.stream);
  EXPECT_EQ(collected.text(), "Hello wor");
  EXPECT_EQ(collected.done().reason, StopReason::length);
  EXPECT_EQ(collected.done().usage.completion_tokens, 3u);
  ASSERT_EQ(collected.tokens.size(), 3u);
  EXPECT_EQ(collected.tokens[2].token_id, std::optional<TokenId>(f.tokenizer.id_of(" wor")));
}

TEST(Generator, ZeroMaxTokensEndsAtOnce) {
  GeneratorFixture f;
  Generator generator(f.tokenizer, greedy_options(0), f.prompt, f.channel);
  EXPECT_TRUE(generator.finished());
  auto collected = drain(f.stream);
  EXPECT_EQ(collected.done().reason, StopReason::length);
  EXPECT_EQ(collected.done().usage.completion_tokens, 0u);
}

TEST(Generator, CancelMidwayStopsProducing) {
  GeneratorFixture f;
  Generator generator(f.tokenizer, greedy_options(), f.prompt, f.channel);
  drive(generator, f.tokenizer, {"Hel", "lo"});
  EXPECT_FALSE(generator.finished());
  f.stream.cancel();
  EXPECT_TRUE(generator.finished());
  EXPECT_TRUE(generator.pending_input().empty());
  EXPECT_FALSE(generator.needs_logits());
  auto collected = drain(f.stream);
  EXPECT_EQ(collected.text(), "Hello");
  EXPECT_EQ(collected.done().reason, StopReason::cancelled);
  EXPECT_EQ(collected.done().usage.completion_tokens, 2u);
}

TEST(Generator, CancelBetweenFeedingAndLogitsEmitsNothingMore) {
  GeneratorFixture f;
  Generator generator(f.tokenizer, greedy_options(), f.prompt, f.channel);
  generator.consume_input(generator.pending_input().size());
  ASSERT_TRUE(generator.needs_logits());
  f.stream.cancel();
  generator.on_logits(row_for(f.tokenizer, 1));  // the pass was already running
  EXPECT_TRUE(generator.finished());
  auto collected = drain(f.stream);
  EXPECT_TRUE(collected.tokens.empty());
  EXPECT_EQ(collected.done().reason, StopReason::cancelled);
}

TEST(Generator, Utf8SplitAcrossByteTokensIsEmittedWhole) {
  GeneratorFixture f;
  Generator generator(f.tokenizer, greedy_options(4), f.prompt, f.channel);
  drive(generator, f.tokenizer, {"Hel", "\xC3", "\xA9", "!"});
  auto collected = drain(f.stream);
  ASSERT_EQ(collected.tokens.size(), 4u);
  EXPECT_EQ(collected.tokens[1].text, "") << "half a character must wait for its other half";
  EXPECT_EQ(collected.tokens[2].text, f.tokenizer.piece(8) + f.tokenizer.piece(9));
  EXPECT_EQ(collected.text(), "Hel\xC3\xA9!");
}

TEST(Generator, PromptFedInChunksAsksForLogitsOnlyAfterTheLastChunk) {
  GeneratorFixture f;
  std::vector<TokenId> prompt = {1, 2, 3, 4, 10};
  Generator generator(f.tokenizer, greedy_options(2), prompt, f.channel);
  EXPECT_FALSE(generator.needs_logits());
  EXPECT_EQ(generator.pending_input().size(), 5u);
  generator.consume_input(2);
  EXPECT_FALSE(generator.needs_logits());
  EXPECT_EQ(generator.position(), 2u);
  EXPECT_EQ(generator.pending_input().front(), 3);
  EXPECT_THROW(generator.consume_input(4), Error);
  generator.consume_input(3);
  EXPECT_TRUE(generator.needs_logits());
  EXPECT_TRUE(generator.pending_input().empty());
  generator.on_logits(row_for(f.tokenizer, 7));
  ASSERT_EQ(generator.pending_input().size(), 1u);
  EXPECT_EQ(generator.pending_input().front(), 7) << "the sampled token is fed next";
  EXPECT_FALSE(generator.needs_logits());
}

TEST(Generator, ContextLengthEndsWithLength) {
  GeneratorFixture f;
  std::vector<TokenId> prompt = {1, 2, 3, 4};
  GeneratorSettings settings;
  settings.context_length = 6;
  Generator generator(f.tokenizer, greedy_options(), prompt, f.channel, settings);
  size_t rows = drive(generator, f.tokenizer, {"!", "!", "!", "!", "!"});
  EXPECT_EQ(rows, 3u) << "rows 4 and 5 hold generated tokens; the 3rd sample cannot be fed";
  EXPECT_EQ(generator.position(), 6u);
  auto collected = drain(f.stream);
  EXPECT_EQ(collected.done().reason, StopReason::length);
  EXPECT_EQ(collected.done().usage.completion_tokens, 3u);
}

void expect_error(GeneratorFixture& f, ErrorCode code) {
  auto collected = drain(f.stream);
  ASSERT_TRUE(std::holds_alternative<ErrorEvent>(collected.terminals.at(0)));
  EXPECT_EQ(std::get<ErrorEvent>(collected.terminals[0]).code, code);
}

TEST(Generator, BadRequestsEndWithAnErrorEvent) {
  {
    GeneratorFixture f;
    GeneratorSettings settings;
    settings.context_length = 1;
    Generator generator(f.tokenizer, greedy_options(), f.prompt, f.channel, settings);
    EXPECT_TRUE(generator.finished());
    expect_error(f, ErrorCode::prompt_too_long);  // told apart, so a caller can shorten it
  }
  {
    GeneratorFixture f;
    Generator generator(f.tokenizer, greedy_options(), {}, f.channel);
    EXPECT_TRUE(generator.finished());
    expect_error(f, ErrorCode::invalid_request);
  }
  {
    GeneratorFixture f;
    Generator generator(f.tokenizer, greedy_options(), {1, 99}, f.channel);
    expect_error(f, ErrorCode::invalid_request);
  }
  {
    GeneratorFixture f;
    auto options = greedy_options();
    options.top_p = 2.0f;
    Generator generator(f.tokenizer, options, f.prompt, f.channel);
    expect_error(f, ErrorCode::invalid_request);
  }
}

TEST(Generator, ShortOrAllMaskedRowIsAnInternalError) {
  {
    GeneratorFixture f;
    Generator generator(f.tokenizer, greedy_options(), f.prompt, f.channel);
    generator.consume_input(2);
    generator.on_logits(std::vector<float>(3, 0.0f));
    EXPECT_TRUE(generator.finished());
    expect_error(f, ErrorCode::internal);
  }
  {
    GeneratorFixture f;
    Generator generator(f.tokenizer, greedy_options(), f.prompt, f.channel);
    generator.consume_input(2);
    std::vector<float> masked(static_cast<size_t>(f.tokenizer.vocab_size()),
                              -std::numeric_limits<float>::infinity());
    generator.on_logits(masked);
    expect_error(f, ErrorCode::internal);
  }
}

TEST(Generator, TimingsFollowTheDriversCalls) {
  GeneratorFixture f;
  auto now = std::chrono::steady_clock::time_point{};
  GeneratorSettings settings;
  settings.clock = [&] { return now; };
  Generator generator(f.tokenizer, greedy_options(2), f.prompt, f.channel, settings);
  now += 10ms;
  generator.consume_input(2);  // prefill starts
  now += 20ms;
  generator.on_logits(row_for(f.tokenizer, 1));  // first token
  generator.consume_input(1);
  now += 15ms;
  generator.on_logits(row_for(f.tokenizer, 2));  // second and last token
  auto done = drain(f.stream).done();
  EXPECT_EQ(done.timings.prompt, 20ms);
  EXPECT_EQ(done.timings.first_token, 30ms);
  EXPECT_EQ(done.timings.generation, 15ms);
  EXPECT_EQ(done.timings.total, 45ms);
}

TEST(Generator, SeededSamplingReproducesAGeneration) {
  auto run = [](uint64_t seed) {
    GeneratorFixture f;
    GenerationOptions options;
    options.seed = seed;
    options.temperature = 1.0f;
    options.top_k = 0;
    options.max_tokens = 40;
    Generator generator(f.tokenizer, options, f.prompt, f.channel);
    std::vector<float> flat(static_cast<size_t>(f.tokenizer.vocab_size()), 0.0f);
    flat[0] = -100.0f;  // never end early
    while (!generator.finished()) {
      generator.consume_input(generator.pending_input().size());
      if (generator.needs_logits()) generator.on_logits(flat);
    }
    return std::vector<TokenId>(generator.generated().begin(), generator.generated().end());
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace weft::runtime

namespace weft::runtime {
namespace {

TEST(Generator, DriverFailureEndsWithOneErrorEvent) {
  GeneratorFixture f;
  Generator generator(f.tokenizer, greedy_options(), f.prompt, f.channel);
  generator.consume_input(2);
  generator.fail(ErrorCode::internal, "the KV page pool ran out");
  generator.fail(ErrorCode::internal, "reported twice");
  EXPECT_TRUE(generator.finished());
  expect_error(f, ErrorCode::internal);
}

// Rows that vary per step so that sampling has something to choose between.
std::vector<float> step_row(size_t vocabulary, int step) {
  std::vector<float> row(vocabulary);
  for (size_t i = 0; i < vocabulary; ++i) row[i] = std::sin(static_cast<float>(step * 7 + i));
  row[0] = -100.0f;  // never the end token
  return row;
}

std::vector<TokenId> generate_alone(const FakeTokenizer& tokenizer, uint64_t seed) {
  GenerationChannel channel("test");
  GenerationStream stream(channel.state());
  GenerationOptions options;
  options.seed = seed;
  options.max_tokens = 30;
  Generator generator(tokenizer, options, {1}, channel);
  for (int step = 0; !generator.finished(); ++step) {
    generator.consume_input(generator.pending_input().size());
    generator.on_logits(step_row(static_cast<size_t>(tokenizer.vocab_size()), step));
  }
  return {generator.generated().begin(), generator.generated().end()};
}

TEST(Generator, SequencesInOneBatchSharingScratchGenerateWhatEachDoesAlone) {
  FakeTokenizer tokenizer = make_tokenizer();
  std::vector<GenerationChannel> channels;
  for (int i = 0; i < 3; ++i) channels.emplace_back("test");
  std::vector<GenerationStream> streams;
  std::vector<Generator> batch;
  for (uint64_t i = 0; i < channels.size(); ++i) {
    streams.emplace_back(channels[i].state());
    GenerationOptions options;
    options.seed = 100 + i;
    options.max_tokens = 30;
    batch.emplace_back(tokenizer, options, std::vector<TokenId>{1}, channels[i]);
  }
  SamplingScratch shared;
  for (int step = 0; step < 30; ++step) {
    for (auto& generator : batch) generator.consume_input(generator.pending_input().size());
    for (auto& generator : batch) {
      generator.on_logits(step_row(static_cast<size_t>(tokenizer.vocab_size()), step), shared);
    }
  }
  for (uint64_t i = 0; i < batch.size(); ++i) {
    EXPECT_TRUE(batch[i].finished());
    std::vector<TokenId> together(batch[i].generated().begin(), batch[i].generated().end());
    EXPECT_EQ(together, generate_alone(tokenizer, 100 + i)) << "sequence " << i;
  }
}

}  // namespace
}  // namespace weft::runtime
