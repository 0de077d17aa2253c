// The splits of the Llama 3 (`llama-bpe`), Qwen2 (`qwen2`) and SmolLM (`smollm`)
// pre-tokenizers, and the two options that go with them (Llama 3's ignore_merges, Qwen2's NFC).
// No shared vocabulary with a GGUF covers these, so the expected pieces below were worked
// out by hand from the published patterns (the `pre_tokenizer` of each model's
// tokenizer.json), not taken from weft:
//
//   Llama 3:  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//             | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   Qwen2:    the same with \p{N} (one digit) for \p{N}{1,3}, after an NFC normalizer
//   SmolLM:   Digits(individual_digits) — every digit alone — then GPT-2's ByteLevel regex
//             's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// Matching is leftmost-first: at each position the first alternative that matches wins, and
// text between matches (none here) would be a piece of its own.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gguf/gguf_value.hpp"
#include "tokenizer/pre_tokenizer.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {
namespace {

using Pieces = std::vector<std::string>;

Pieces split(std::string_view pre_name, std::string_view text) {
  PreTokenizer pre = PreTokenizer::for_name(pre_name);
  Pieces pieces;
  for (auto piece : pre.split(text)) pieces.emplace_back(piece);
  return pieces;
}

// Digits: Llama 3 takes runs of up to three, Qwen2 and SmolLM one at a time. No alternative
// lets a digit run take a leading space, so " 12" starts with a lone " " (\s+, since the
// \s+(?!\S) alternative fails: "1" follows).
TEST(PreTokenizerSplit, DigitGroups) {
  EXPECT_EQ(split("llama-bpe", "1234567"), (Pieces{"123", "456", "7"}));
  EXPECT_EQ(split("qwen2", "1234567"), (Pieces{"1", "2", "3", "4", "5", "6", "7"}));
  EXPECT_EQ(split("smollm", "1234567"), (Pieces{"1", "2", "3", "4", "5", "6", "7"}));
  EXPECT_EQ(split("llama-bpe", " 12"), (Pieces{" ", "12"}));
  EXPECT_EQ(split("qwen2", " 12"), (Pieces{" ", "1", "2"}));
  EXPECT_EQ(split("smollm", " 12"), (Pieces{" ", "1", "2"}));
}

// (?i:...) makes "'T" and "'LL" contractions in Llama 3 and Qwen2, as "'t" and "'ll" are.
// It shows only where letters follow: "'S" alone would be one piece anyway, by the next
// alternative ("'" as the symbol before a letter run), but "'TWAS" is "'T" "WAS", where a
// case-sensitive pattern would keep "'TWAS" whole. GPT-2's contractions are lowercase only,
// so SmolLM cuts "'" off as punctuation and the letters after it become one word.
TEST(PreTokenizerSplit, ContractionsIgnoreCaseInLlama3AndQwen2) {
  for (auto name : {"llama-bpe", "qwen2"}) {
    EXPECT_EQ(split(name, "'TWAS"), (Pieces{"'T", "WAS"})) << name;
    EXPECT_EQ(split(name, "'twas"), (Pieces{"'t", "was"})) << name;
    EXPECT_EQ(split(name, "YOU'LLX"), (Pieces{"YOU", "'LL", "X"})) << name;
    EXPECT_EQ(split(name, "you'llx"), (Pieces{"you", "'ll", "x"})) << name;
    EXPECT_EQ(split(name, "HE'S"), (Pieces{"HE", "'S"})) << name;
  }
  EXPECT_EQ(split("smollm", "'TWAS"), (Pieces{"'", "TWAS"}));
  EXPECT_EQ(split("smollm", "'twas"), (Pieces{"'t", "was"}));
  EXPECT_EQ(split("smollm", "YOU'LLX"), (Pieces{"YOU", "'", "LLX"}));
  EXPECT_EQ(split("smollm", "you'llx"), (Pieces{"you", "'ll", "x"}));
  EXPECT_EQ(split("smollm", "HE'S"), (Pieces{"HE", "'", "S"}));
}

// [^\r\n\p{L}\p{N}]?\p{L}+ lets one symbol (or a space) lead a word: "$hello" is one piece.
// In " $hello" the space cannot lead, as "$" is no letter; " ?[^\s\p{L}\p{N}]+" takes " $".
// GPT-2's " ?\p{L}+" admits only a space, so SmolLM splits "$" from "hello".
TEST(PreTokenizerSplit, ALeadingSymbolJoinsTheWord) {
  for (auto name : {"llama-bpe", "qwen2"}) {
    EXPECT_EQ(split(name, "$hello"), (Pieces{"$hello"})) << name;
    EXPECT_EQ(split(name, " $hello"), (Pieces{" $", "hello"})) << name;
    EXPECT_EQ(split(name, " hello"), (Pieces{" hello"})) << name;
  }
  EXPECT_EQ(split("smollm", "$hello"), (Pieces{"$", "hello"}));
  EXPECT_EQ(split("smollm", " $hello"), (Pieces{" $", "hello"}));
}

// \s*[\r\n]+ takes the spaces before a line break with it, and all the breaks in a row;
// " ?[^\s\p{L}\p{N}]+[\r\n]*" keeps the breaks after punctuation. GPT-2 has neither: its
// \s+(?!\S) backs off one character before a non-space.
TEST(PreTokenizerSplit, LineBreaks) {
  for (auto name : {"llama-bpe", "qwen2"}) {
    // "  \n" by \s*[\r\n]+; then of "  b", \s+(?!\S) backs off to " " and " b" is a word.
    EXPECT_EQ(split(name, "a  \n  b"), (Pieces{"a", "  \n", " ", " b"})) << name;
    EXPECT_EQ(split(name, "a\n\nb"), (Pieces{"a", "\n\n", "b"})) << name;
    EXPECT_EQ(split(name, "ok!!\nx"), (Pieces{"ok", "!!\n", "x"})) << name;
  }
  EXPECT_EQ(split("smollm", "a  \n  b"), (Pieces{"a", "  \n ", " b"}));
  EXPECT_EQ(split("smollm", "a\n\nb"), (Pieces{"a", "\n", "\n", "b"}));
  EXPECT_EQ(split("smollm", "ok!!\nx"), (Pieces{"ok", "!!", "\n", "x"}));
}

// \s+(?!\S): whitespace at the end stays whole; before a word it leaves its last space to
// lead the word.
TEST(PreTokenizerSplit, TrailingWhitespace) {
  for (auto name : {"llama-bpe", "qwen2", "smollm"}) {
    EXPECT_EQ(split(name, "hello   "), (Pieces{"hello", "   "})) << name;
    EXPECT_EQ(split(name, "a   b"), (Pieces{"a", "  ", " b"})) << name;
  }
}

TEST(PreTokenizerSplit, OptionsOfEachName) {
  EXPECT_TRUE(PreTokenizer::for_name("llama-bpe").ignores_merges());
  EXPECT_FALSE(PreTokenizer::for_name("llama-bpe").normalizes_nfc());
  EXPECT_FALSE(PreTokenizer::for_name("qwen2").ignores_merges());
  EXPECT_TRUE(PreTokenizer::for_name("qwen2").normalizes_nfc());
  EXPECT_FALSE(PreTokenizer::for_name("smollm").ignores_merges());
  EXPECT_FALSE(PreTokenizer::for_name("smollm").normalizes_nfc());
}

gguf::Value string_value(std::string text) {
  return {gguf::ValueType::string, std::move(text)};
}

gguf::Value string_array(const std::vector<std::string>& texts) {
  gguf::ArrayValue array{gguf::ValueType::string, {}};
  for (const auto& text : texts) array.elements.push_back(string_value(text));
  return {gguf::ValueType::array, std::move(array)};
}

// A byte-level BPE vocabulary of the given pieces (ids in order) and merges.
std::unique_ptr<Tokenizer> tiny_bpe(const std::string& pre, const std::vector<std::string>& pieces,
                                    const std::vector<std::string>& merges) {
  std::vector<gguf::MetadataEntry> metadata = {
      {"tokenizer.ggml.model", string_value("gpt2")},
      {"tokenizer.ggml.pre", string_value(pre)},
      {"tokenizer.ggml.tokens", string_array(pieces)},
      {"tokenizer.ggml.merges", string_array(merges)},
  };
  return tokenizer_from_metadata(metadata);
}

// Llama 3 (HF BPE `ignore_merges: true`): a word that is itself a token is that token, even
// where the merges would never build it. Here the merges build "h"+"e" → "he", "l"+"l" →
// "ll", "he"+"ll" → "hell", and no merge makes "hello", so without ignore_merges "hello"
// ends as "hell" "o".
TEST(PreTokenizerSplit, Llama3WholeWordTokenSkipsTheMerges) {
  const std::vector<std::string> pieces = {"h", "e", "l", "o", "he", "ll", "hell", "hello"};
  const std::vector<std::string> merges = {"h e", "l l", "he ll"};
  const TokenId kHell = 6, kO = 3, kHello = 7;
  EXPECT_EQ(tiny_bpe("llama-bpe", pieces, merges)->encode("hello"), (std::vector{kHello}));
  EXPECT_EQ(tiny_bpe("qwen2", pieces, merges)->encode("hello"), (std::vector{kHell, kO}));
  EXPECT_EQ(tiny_bpe("gpt-2", pieces, merges)->encode("hello"), (std::vector{kHell, kO}));
  // A word that is not a token still goes through the merges: "hell" is built, then "o".
  EXPECT_EQ(tiny_bpe("llama-bpe", pieces, merges)->encode("hellohell"),
            (std::vector{kHell, kO, kHell}));
}

// Qwen2's tokenizer.json normalises to NFC: "e" + U+0301 (combining acute) becomes "é"
// (U+00E9, bytes C3 A9) before splitting. In GPT-2's byte-to-character map bytes C3 and A9
// are printable and stand for themselves, "Ã" and "©"; CC (first byte of U+0301) is "Ì" and
// 81, a control byte, is U+0123 "ģ" (the 36th of the unprintable bytes 00-20, 7F, 80-A0, AD,
// which map to U+0100 onwards in that order).
TEST(PreTokenizerSplit, Qwen2NormalisesToNfc) {
  const std::vector<std::string> pieces = {"e",
                                           "\xC3\x83" /*Ã*/,
                                           "\xC2\xA9" /*©*/,
                                           "\xC3\x83\xC2\xA9" /*é as Ã©*/,
                                           "\xC3\x8C" /*Ì*/,
                                           "\xC4\xA3" /*ģ*/};
  const std::vector<std::string> merges = {"\xC3\x83 \xC2\xA9"};
  const TokenId kE = 0, kEAcute = 3, kCC = 4, k81 = 5;
  const std::string decomposed = "e\xCC\x81";
  EXPECT_EQ(tiny_bpe("qwen2", pieces, merges)->encode(decomposed), (std::vector{kEAcute}));
  EXPECT_EQ(tiny_bpe("llama-bpe", pieces, merges)->encode(decomposed), (std::vector{kE, kCC, k81}));
}

}  // namespace
}  // namespace weft::tokenizer
