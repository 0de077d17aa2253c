// Constrained generation end to end through the native backend: with random sampling at
// temperature 1 and many seeds, every text a real model produces under a grammar is a
// sentence of that grammar (checked with matches(), the byte-level matcher, not the token
// masks that constrained the generation).
#include <gtest/gtest.h>

#include "backend/native_backend.hpp"
#include "grammar/grammar.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

// Bounded grammars, so that every generation completes within max_tokens.
const char* const kGrammars[] = {
    // A small JSON object.
    R"g(root ::= "{\"name\": \"" [A-Za-z ]{1,12} "\", \"age\": " [1-9] [0-9]? "}")g",
    // A list of quoted words.
    R"g(root ::= "[" word ("," " "? word){0,3} "]"
word ::= "\"" [a-z]{1,8} "\"")g",
    // Arithmetic, one level of parentheses.
    R"g(root ::= term (op term){0,3}
op ::= " + " | " - " | " * "
term ::= num | "(" num op num ")"
num ::= [1-9] [0-9]{0,2})g",
    // Either of two sentences, or a yes/no.
    R"g(root ::= "Once upon a time" | "The end." | ("yes" | "no") "!"?)g",
};

void expect_grammatical_generations(const std::string& model, int seeds) {
  auto backend = std::make_unique<backend::NativeBackend>();
  LoadOptions load;
  load.model_path = test::shared_path(model).string();
  load.context_length = 256;
  load.threads = 2;
  backend->load(load);
  for (const char* gbnf : kGrammars) {
    auto grammar = grammar::parse_gbnf(gbnf);
    for (int seed = 1; seed <= seeds; ++seed) {
      GenerationRequest request;
      request.raw_prompt = true;
      request.messages = {{Role::user, "Once upon a time"}};
      request.options.max_tokens = 120;
      request.options.temperature = 1.0f;
      request.options.top_k = 0;
      request.options.top_p = 1.0f;
      request.options.min_p = 0.0f;
      request.options.seed = static_cast<uint64_t>(seed);
      request.options.grammar = gbnf;
      auto stream = backend->generate(request);
      auto result = collect(stream);
      auto* done = std::get_if<DoneEvent>(&result.terminal);
      ASSERT_NE(done, nullptr) << model << " seed " << seed << ": "
                               << std::get<ErrorEvent>(result.terminal).message;
      EXPECT_EQ(done->reason, StopReason::end) << model << " seed " << seed << ": " << result.text;
      EXPECT_TRUE(grammar::matches(*grammar, result.text))
          << model << " seed " << seed << "\ngrammar: " << gbnf << "\ntext: " << result.text;
    }
  }
}

TEST(GrammarGeneration, Stories260kAlwaysProducesSentences) {
  expect_grammatical_generations("models/stories260K/stories260K-f32.gguf", 24);
}

TEST(GrammarGeneration, Qwen2FixtureAlwaysProducesSentences) {
  expect_grammatical_generations("fixtures/qwen2/qwen2-f32.gguf", 8);
}

}  // namespace
}  // namespace weft
