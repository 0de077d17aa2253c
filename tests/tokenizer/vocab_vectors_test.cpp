// Exactness against the reference vectors: every string of every vocabulary with vectors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "gguf/gguf_file.hpp"
#include "support/vocab_vectors.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {
namespace {

std::string show(const std::vector<TokenId>& ids) {
  std::string out;
  for (TokenId id : ids) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id);
  }
  return out;
}

class VocabVectorsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabVectorsTest, EncodesEveryStringExactly) {
  auto vectors = test::load_vocab_vectors(GetParam());
  auto file = gguf::GgufFile::open(vectors.gguf.string());
  auto tokenizer = Tokenizer::from_gguf(*file);
  size_t matched = 0;
  for (size_t i = 0; i < vectors.inputs.size(); ++i) {
    auto ids = tokenizer->encode(vectors.inputs[i], {.add_bos = false, .parse_special = false});
    if (ids == vectors.expected[i]) {
      ++matched;
    } else {
      ADD_FAILURE() << GetParam() << " string " << i << " '" << vectors.inputs[i]
                    << "'\n  expected " << show(vectors.expected[i]) << "\n  got      "
                    << show(ids);
    }
  }
  std::printf("%s: %zu/%zu\n", GetParam().c_str(), matched, vectors.inputs.size());
  EXPECT_EQ(matched, vectors.inputs.size());
}

// Byte-level BPE and SentencePiece with byte fallback lose nothing. WordPiece lowercases and
// splits punctuation, so there the decoded text must at least encode back to the same ids
// (where every id is a normal token: decoding drops [UNK] and the other special tokens).
TEST_P(VocabVectorsTest, DecodingGivesBackTheInputWhereLossless) {
  auto vectors = test::load_vocab_vectors(GetParam());
  auto file = gguf::GgufFile::open(vectors.gguf.string());
  auto tokenizer = Tokenizer::from_gguf(*file);
  const bool lossless = tokenizer->model_name() != "bert";
  for (size_t i = 0; i < vectors.inputs.size(); ++i) {
    const std::vector<TokenId>& ids = vectors.expected[i];
    const std::string text = tokenizer->decode(ids);
    const bool all_normal = std::all_of(ids.begin(), ids.end(), [&](TokenId id) {
      return tokenizer->type(id) == TokenType::normal;
    });
    if (lossless) {
      EXPECT_EQ(text, vectors.inputs[i]) << GetParam() << " string " << i;
    } else if (all_normal) {
      EXPECT_EQ(show(tokenizer->encode(text, {.add_bos = false, .parse_special = false})),
                show(vectors.expected[i]))
          << GetParam() << " string " << i << " decoded as '" << text << "'";
    }
  }
}

// Every NAME.gguf.out is either run above (its GGUF is there) or reported as skipped, and
// the skipped ones are exactly those the shared README lists as waiting for a vocabulary:
// a GGUF arriving for one of them, or a new vector set without one, fails here so that the
// list (and the coverage it stands for) is looked at again.
TEST(VocabVectorSets, EveryVectorSetIsRunOrReportedAsSkipped) {
  const auto tested = test::vocab_names_with_vectors();
  const auto skipped = test::vocab_names_with_vectors_only();
  for (const auto& name : skipped)
    std::printf("skipped (no GGUF in ../shared): %s\n", name.c_str());
  std::vector<std::string> accounted;
  std::merge(tested.begin(), tested.end(), skipped.begin(), skipped.end(),
             std::back_inserter(accounted));
  EXPECT_EQ(accounted, test::vocab_names_of_all_vectors());
  const std::vector<std::string> known_without_gguf = {"chameleon", "command-r", "deepseek-r1-qwen",
                                                       "llama-bpe", "qwen2",     "roberta-bpe"};
  EXPECT_EQ(skipped, known_without_gguf);
  EXPECT_FALSE(tested.empty());
}

INSTANTIATE_TEST_SUITE_P(SharedVocabs, VocabVectorsTest,
                         ::testing::ValuesIn(test::vocab_names_with_vectors()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace weft::tokenizer
