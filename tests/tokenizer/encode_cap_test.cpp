// EncodeOptions::max_tokens: encoding stops between words once past the cap, so refusing a
// text too long for a context costs work bounded by the context, not by the text. Checked
// against the uncapped encoding of the same text on real vocabularies of the three kinds.
#include <gtest/gtest.h>

#include <algorithm>

#include "gguf/gguf_file.hpp"
#include "support/vocab_vectors.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {
namespace {

constexpr size_t kCap = 50;

std::unique_ptr<Tokenizer> vocabulary(const std::string& name) {
  return Tokenizer::from_gguf(*gguf::GgufFile::open(test::vocab_gguf_path(name).string()));
}

// The vocabulary's own test strings, repeated to about 64 KiB.
std::string long_text(const std::string& name) {
  std::string text;
  const auto inputs = test::load_vocab_inputs(name);
  while (text.size() < 64 * 1024) {
    for (const auto& input : inputs) text += input + "\n";
  }
  return text;
}

// What every vocabulary promises: past the cap, and the uncapped encoding's beginning.
void expect_capped_prefix(const Tokenizer& tokenizer, const std::string& text,
                          std::vector<TokenId>& capped, std::vector<TokenId>& full) {
  full = tokenizer.encode(text, {.parse_special = true});
  capped = tokenizer.encode(text, {.parse_special = true, .max_tokens = kCap});
  ASSERT_GT(full.size(), 20 * kCap);
  EXPECT_GT(capped.size(), kCap);
  ASSERT_LE(capped.size(), full.size());
  EXPECT_TRUE(std::equal(capped.begin(), capped.end(), full.begin()));
  // A cap the text stays under changes nothing.
  EXPECT_EQ(tokenizer.encode(text, {.parse_special = true, .max_tokens = full.size()}), full);
}

// Byte-level BPE and WordPiece encode word by word: they stop within a word of the cap.
TEST(EncodeCap, WordByWordVocabulariesStopSoonAfterTheCap) {
  for (const std::string name : {"gpt-2", "falcon", "bert-bge"}) {
    SCOPED_TRACE(name);
    const auto tokenizer = vocabulary(name);
    std::vector<TokenId> capped, full;
    expect_capped_prefix(*tokenizer, long_text(name), capped, full);
    EXPECT_LT(capped.size(), 2 * kCap);
  }
}

// SentencePiece merges a run of text as one unit: the cap applies between runs and special
// tokens, and the result is still the uncapped encoding's beginning.
TEST(EncodeCap, SentencePieceStopsBetweenRuns) {
  const auto tokenizer = vocabulary("llama-spm");
  std::vector<TokenId> capped, full;
  expect_capped_prefix(*tokenizer, long_text("llama-spm"), capped, full);
}

}  // namespace
}  // namespace weft::tokenizer
