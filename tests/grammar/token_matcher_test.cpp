// Token masks: hand-checked verdicts on small vocabularies, and on real vocabularies an
// independent brute-force reference (for every token, feed its bytes to the byte-level
// matcher and see whether it stays alive) that shares nothing with the trie walk, the
// state interning or the mask cache under test.
#include <gtest/gtest.h>

#include <set>

#include "gguf/gguf_file.hpp"
#include "grammar/grammar.hpp"
#include "grammar/json_schema.hpp"
#include "grammar/token_matcher.hpp"
#include "support/fake_tokenizer.hpp"
#include "support/shared_files.hpp"

namespace weft::grammar {
namespace {

using weft::testing::FakeTokenizer;

std::shared_ptr<TokenGrammar> compile(std::string_view gbnf, const tokenizer::Tokenizer& tok) {
  return std::make_shared<TokenGrammar>(parse_gbnf(gbnf),
                                        std::make_shared<const TokenVocabulary>(tok));
}

std::set<TokenId> allowed(const TokenMask& mask, int32_t vocab_size) {
  std::set<TokenId> ids;
  for (TokenId id = 0; id < vocab_size; ++id) {
    if (mask.allows(id)) ids.insert(id);
  }
  return ids;
}

TEST(GrammarTokenMask, SmallVocabularyByHand) {
  // ids:                    0    1    2     3     4    5
  FakeTokenizer tokenizer({"a", "b", "ab", "ba", "c", "</s>"}, {5});
  TokenMatcher matcher(compile(R"(root ::= "ab"+)", tokenizer));
  EXPECT_EQ(allowed(*matcher.mask(), 6), (std::set<TokenId>{0, 2}));
  ASSERT_TRUE(matcher.accept(0));  // "a"
  EXPECT_EQ(allowed(*matcher.mask(), 6), (std::set<TokenId>{1, 3}));
  EXPECT_FALSE(matcher.accept(4));  // "c" does not fit: nothing changes
  ASSERT_TRUE(matcher.accept(3));   // "ba": "ab" done, "a" of the next
  EXPECT_FALSE(matcher.can_end());
  EXPECT_EQ(allowed(*matcher.mask(), 6), (std::set<TokenId>{1, 3}));
  ASSERT_TRUE(matcher.accept(1));  // "abab"
  EXPECT_TRUE(matcher.can_end());
  EXPECT_EQ(allowed(*matcher.mask(), 6), (std::set<TokenId>{0, 2, 5}));
  ASSERT_TRUE(matcher.accept(5));
  EXPECT_TRUE(matcher.ended());
  EXPECT_TRUE(allowed(*matcher.mask(), 6).empty());
}

TEST(GrammarTokenMask, EndOfGenerationOnlyWhenComplete) {
  FakeTokenizer tokenizer({"1", "2", "+", "<eos>", "<eot>"}, {3, 4});
  TokenMatcher matcher(compile(R"(root ::= [0-9] ("+" [0-9])*)", tokenizer));
  EXPECT_FALSE(matcher.accept(3));
  EXPECT_EQ(allowed(*matcher.mask(), 5), (std::set<TokenId>{0, 1}));
  ASSERT_TRUE(matcher.accept(0));
  EXPECT_EQ(allowed(*matcher.mask(), 5), (std::set<TokenId>{2, 3, 4}));
  ASSERT_TRUE(matcher.accept(2));
  EXPECT_EQ(allowed(*matcher.mask(), 5), (std::set<TokenId>{0, 1}));
  EXPECT_FALSE(matcher.accept(4));
}

TEST(GrammarTokenMask, RollbackRestoresEarlierStates) {
  FakeTokenizer tokenizer({"x", "y", "<eos>"}, {2});
  TokenMatcher matcher(compile(R"(root ::= "x" "y" "x")", tokenizer));
  ASSERT_TRUE(matcher.accept(0));
  ASSERT_TRUE(matcher.accept(1));
  ASSERT_TRUE(matcher.accept(0));
  ASSERT_TRUE(matcher.accept(2));
  EXPECT_EQ(matcher.accepted_tokens(), 4u);
  matcher.rollback(3);
  EXPECT_EQ(matcher.accepted_tokens(), 1u);
  EXPECT_FALSE(matcher.ended());
  EXPECT_EQ(allowed(*matcher.mask(), 3), (std::set<TokenId>{1}));
  matcher.rollback(100);
  EXPECT_EQ(matcher.accepted_tokens(), 0u);
  EXPECT_EQ(allowed(*matcher.mask(), 3), (std::set<TokenId>{0}));
}

TEST(GrammarTokenMask, Utf8SplitAcrossTokens) {
  // 日 is E6 97 A5, 本 is E6 9C AC; byte tokens carry pieces of them.
  FakeTokenizer tokenizer({"\xE6", "\x97\xA5", "\x9C\xAC", "\xE6\x97", "\xA5", "<eos>", "a"}, {5});
  TokenMatcher matcher(compile(R"(root ::= "日本")", tokenizer));
  EXPECT_EQ(allowed(*matcher.mask(), 7), (std::set<TokenId>{0, 3}));
  ASSERT_TRUE(matcher.accept(0));
  EXPECT_EQ(allowed(*matcher.mask(), 7), (std::set<TokenId>{1}));
  ASSERT_TRUE(matcher.accept(1));
  EXPECT_EQ(allowed(*matcher.mask(), 7), (std::set<TokenId>{0}));  // "\xE6\x97" is 日's start
  ASSERT_TRUE(matcher.accept(0));
  ASSERT_TRUE(matcher.accept(2));
  EXPECT_EQ(allowed(*matcher.mask(), 7), (std::set<TokenId>{5}));
}

TEST(GrammarTokenMask, FirstSentencePieceTokenLosesItsSpace) {
  FakeTokenizer tokenizer({" Hi", " there", "Hi", " ", "<eos>"}, {4}, true);
  auto grammar = compile(R"(root ::= "Hi there")", tokenizer);
  TokenMatcher stripped(grammar, true);
  EXPECT_EQ(allowed(*stripped.mask(), 5), (std::set<TokenId>{0, 2}));
  ASSERT_TRUE(stripped.accept(0));
  EXPECT_EQ(allowed(*stripped.mask(), 5), (std::set<TokenId>{1, 3}));
  TokenMatcher kept(grammar, false);  // text before it: the space stays
  EXPECT_EQ(allowed(*kept.mask(), 5), (std::set<TokenId>{2}));
}

TEST(GrammarTokenMask, DeadEndAllowsNothing) {
  FakeTokenizer tokenizer({"a", "<eos>"}, {1});
  TokenMatcher matcher(compile(R"(root ::= "b")", tokenizer));
  auto mask = matcher.mask();
  EXPECT_FALSE(mask->any_text);
  EXPECT_FALSE(mask->can_end);
  EXPECT_TRUE(allowed(*mask, 2).empty());
}

// --- real vocabularies against the brute-force reference ---

constexpr std::string_view kJsonGrammar = R"g(
root   ::= ws value ws
value  ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ws ( member ( ws "," ws member )* )? ws "}"
member ::= string ws ":" ws value
array  ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
string ::= "\"" ( [^"\\\x00-\x1f] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\""
number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
ws     ::= [ \t\n]*
)g";

std::set<TokenId> brute_force(const Grammar& grammar, const tokenizer::Tokenizer& tokenizer,
                              const ParseState& state) {
  std::set<TokenId> ids;
  for (TokenId id = 0; id < tokenizer.vocab_size(); ++id) {
    if (tokenizer.is_end_of_generation(id)) {
      if (state.can_end()) ids.insert(id);
      continue;
    }
    auto type = tokenizer.type(id);
    if (type == tokenizer::TokenType::control || type == tokenizer::TokenType::unknown ||
        type == tokenizer::TokenType::unused) {
      continue;
    }
    std::string bytes = tokenizer.token_bytes(id);
    if (bytes.empty()) continue;
    if (!advance_bytes(grammar, state, bytes).dead()) ids.insert(id);
  }
  return ids;
}

void check_against_brute_force(const std::string& gguf, std::string_view gbnf,
                               const std::string& text, size_t steps) {
  auto path = test::shared_path(gguf);
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  auto file = gguf::GgufFile::open(path.string());
  auto tokenizer = tokenizer::Tokenizer::from_gguf(*file);
  auto grammar = parse_gbnf(gbnf);
  // The matcher sees the tokens' bytes; SentencePiece's leading space is in them here (the
  // matcher's option to drop it is tested on a small vocabulary above).
  auto ids = tokenizer->encode(text);
  std::string bytes_text;
  for (TokenId id : ids) bytes_text += tokenizer->token_bytes(id);
  ASSERT_TRUE(matches(*grammar, bytes_text)) << bytes_text;
  TokenMatcher matcher(
      std::make_shared<TokenGrammar>(grammar, std::make_shared<const TokenVocabulary>(*tokenizer)));
  ParseState reference = initial_state(*grammar);
  size_t checked = 0;
  for (size_t i = 0; i <= ids.size(); ++i) {
    // Check the first steps and the last (where end-of-generation becomes allowed).
    if (i < steps || i == ids.size()) {
      auto mask = matcher.mask();
      auto expected = brute_force(*grammar, *tokenizer, reference);
      auto actual = allowed(*mask, tokenizer->vocab_size());
      EXPECT_EQ(actual.size(), expected.size()) << gguf << " step " << i;
      EXPECT_TRUE(actual == expected) << gguf << " step " << i;
      EXPECT_FALSE(expected.empty());
      ++checked;
    }
    if (i == ids.size()) break;
    ASSERT_TRUE(matcher.accept(ids[i])) << "token " << i;
    reference = advance_bytes(*grammar, reference, tokenizer->token_bytes(ids[i]));
  }
  EXPECT_TRUE(matcher.can_end());
  EXPECT_GT(checked, 1u);
}

const std::string kJsonText = R"({"name": "Ada", "tags": ["x", 12, -3.5e2, true], "n": null})";

// The comparisons over the large byte-level vocabularies take minutes under the sanitizers;
// scripts/test.sh runs this suite in the Release build only.
TEST(GrammarTokenMaskLargeVocabulary, ByteLevelBpeMatchesBruteForce) {
  check_against_brute_force("models/vocab/ggml-vocab-gpt-2.gguf", kJsonGrammar, kJsonText, 1000);
}

// A converted JSON Schema: bounded repetitions and literal keys give deep, varied stacks.
TEST(GrammarTokenMaskLargeVocabulary, SchemaGrammarMatchesBruteForceAtEveryStep) {
  auto schema = nlohmann::ordered_json::parse(R"({"type": "object", "properties": {
      "name": {"type": "string", "maxLength": 12},
      "tags": {"type": "array", "items": {"type": "string"}},
      "n": {"type": "integer", "minimum": 0, "maximum": 999}},
    "required": ["name", "n"], "additionalProperties": false})");
  check_against_brute_force("models/vocab/ggml-vocab-gpt-2.gguf", json_schema_to_gbnf(schema),
                            R"({"name": "Ada L.", "tags": ["x", "yz"], "n": 42})", 1000);
}

// The largest real vocabulary in ../shared (102,400 byte-level BPE tokens).
TEST(GrammarTokenMaskLargeVocabulary, DeepseekVocabularyMatchesBruteForce) {
  check_against_brute_force("models/vocab/ggml-vocab-deepseek-llm.gguf", kJsonGrammar, kJsonText,
                            4);
}

// The qwen2 fixture model's own (small) vocabulary.
TEST(GrammarTokenMask, Qwen2FixtureVocabularyMatchesBruteForce) {
  check_against_brute_force("fixtures/qwen2/qwen2-f32.gguf", kJsonGrammar, kJsonText, 12);
}

TEST(GrammarTokenMask, SentencePieceMatchesBruteForce) {
  check_against_brute_force("models/vocab/ggml-vocab-llama-spm.gguf", kJsonGrammar, kJsonText, 8);
  check_against_brute_force("models/vocab/ggml-vocab-llama-spm.gguf",
                            R"(root ::= " "? [ぁ-ゖ一-龯ァ-ヺー]+ "。")", "東京のラーメン。", 8);
}

}  // namespace
}  // namespace weft::grammar
