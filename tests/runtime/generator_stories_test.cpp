// The generator with the real stories260K tokenizer, replaying llama2.c's greedy token
// sequence as one-hot logits: the text it streams must be llama.cpp's and llama2.c's text.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gguf/gguf_file.hpp"
#include "runtime/generator.hpp"
#include "support/shared_files.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::runtime {
namespace {

constexpr size_t kGenerated = 200;  // llama.cpp's reference ran with -n 200

// The ids after `label` on its line of ref2.tokens.txt.
std::vector<TokenId> ids_after(const std::string& tokens_file, const std::string& label) {
  size_t at = tokens_file.find(label);
  EXPECT_NE(at, std::string::npos) << label;
  size_t start = tokens_file.find(':', at) + 1;
  std::istringstream line(tokens_file.substr(start, tokens_file.find('\n', start) - start));
  std::vector<TokenId> ids;
  for (TokenId id; line >> id;) ids.push_back(id);
  return ids;
}

struct Stories {
  std::shared_ptr<const gguf::GgufFile> file =
      gguf::GgufFile::open(test::shared_path("models/stories260K/stories260K-f32.gguf").string());
  std::unique_ptr<tokenizer::Tokenizer> tokenizer = tokenizer::Tokenizer::from_gguf(*file);
  std::string tokens_file = test::read_text_file(
      test::shared_path("models/stories260K/reference-llama2c/ref2.tokens.txt"));
  std::vector<TokenId> prompt = ids_after(tokens_file, "prompt_tokens");
  std::vector<TokenId> continuation = [&] {
    // The sequence starts with the prompt's tokens after BOS, then the greedy picks.
    auto sequence = ids_after(tokens_file, "sequence_after_pos0");
    return std::vector<TokenId>(sequence.begin() + static_cast<long>(prompt.size() - 1),
                                sequence.end());
  }();
};

struct Replay {
  std::string text;
  std::vector<TokenId> ids;
  DoneEvent done;
  size_t rows = 0;
};

Replay replay(const Stories& stories, GenerationOptions options) {
  GenerationChannel channel("test");
  GenerationStream stream(channel.state());
  GeneratorSettings settings;
  settings.context_length = 512;
  Generator generator(*stories.tokenizer, options, stories.prompt, channel, settings);
  Replay result;
  std::vector<float> row(static_cast<size_t>(stories.tokenizer->vocab_size()));
  while (!generator.finished()) {
    generator.consume_input(generator.pending_input().size());
    std::fill(row.begin(), row.end(), 0.0f);
    row.at(static_cast<size_t>(stories.continuation.at(result.rows++))) = 1.0f;
    generator.on_logits(row);
  }
  while (auto event = stream.next()) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      result.text += token->text;
      if (token->token_id) result.ids.push_back(*token->token_id);
    } else {
      result.done = std::get<DoneEvent>(*event);
    }
  }
  return result;
}

GenerationOptions greedy_story_options(uint32_t max_tokens) {
  GenerationOptions options;
  options.temperature = 0.0f;
  options.max_tokens = max_tokens;
  return options;
}

TEST(GeneratorStories, StreamsTheReferenceTextOfTheGreedyContinuation) {
  Stories stories;
  ASSERT_GE(stories.continuation.size(), kGenerated);
  auto result = replay(stories, greedy_story_options(kGenerated));

  // llama-cli prints the continuation and then its own line breaks at the end.
  std::string llamacpp = test::read_text_file(
      test::shared_path("models/stories260K/reference-llamacpp/llamacpp-f32-Once_upon_a_time.txt"));
  while (!llamacpp.empty() && llamacpp.back() == '\n') llamacpp.pop_back();
  EXPECT_EQ(result.text, llamacpp);

  // llama2.c printed the prompt, then 256 steps' text: ours is the start of its continuation.
  std::string prompt = test::read_text_file(
      test::shared_path("models/stories260K/reference-llama2c/ref2.prompt.txt"));
  while (!prompt.empty() && prompt.back() == '\n') prompt.pop_back();
  std::string llama2c =
      test::read_text_file(test::shared_path("models/stories260K/reference-llama2c/ref2.text.txt"));
  ASSERT_EQ(llama2c.rfind(prompt, 0), 0u);
  EXPECT_EQ(llama2c.substr(prompt.size(), result.text.size()), result.text);

  EXPECT_EQ(result.ids, std::vector<TokenId>(stories.continuation.begin(),
                                             stories.continuation.begin() + kGenerated));
  EXPECT_EQ(result.done.reason, StopReason::length);
  EXPECT_EQ(result.done.usage.prompt_tokens, stories.prompt.size());
  EXPECT_EQ(result.done.usage.completion_tokens, kGenerated);
}

TEST(GeneratorStories, AStopStringEndsTheTextRightBeforeIt) {
  Stories stories;
  std::string full = replay(stories, greedy_story_options(kGenerated)).text;
  const std::string stop = "big, red ball";
  ASSERT_NE(full.find(stop), std::string::npos);
  auto options = greedy_story_options(kGenerated);
  options.stop = {stop};
  auto result = replay(stories, options);
  EXPECT_EQ(result.text, full.substr(0, full.find(stop)));
  EXPECT_EQ(result.done.reason, StopReason::end);
  EXPECT_LT(result.rows, kGenerated);
}

}  // namespace
}  // namespace weft::runtime
