// Decoding and streaming: the stream's pieces are whole UTF-8 and add up to the input.
#include <gtest/gtest.h>

#include <algorithm>

#include "gguf/gguf_file.hpp"
#include "support/vocab_vectors.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/utf8.hpp"
#include "weft/error.hpp"

namespace weft::tokenizer {
namespace {

class StreamingTest : public ::testing::TestWithParam<std::string> {};

// llama-spm spells emoji and Khmer with <0xNN> byte tokens; gpt-2 splits characters across
// byte-level tokens; both must stream whole characters only.
TEST_P(StreamingTest, StreamsEveryTestStringAsWholeCharacters) {
  auto tokenizer = test::load_vocab_tokenizer(GetParam());
  for (const auto& input : test::load_vocab_inputs(GetParam())) {
    auto ids = tokenizer->encode(input, {.add_bos = tokenizer->add_bos_by_default()});
    StreamingDetokenizer stream(*tokenizer);
    std::string text;
    for (TokenId id : ids) {
      std::string piece = stream.push(id);
      EXPECT_TRUE(is_valid_utf8(piece))
          << "partial UTF-8 after token " << id << " of '" << input << "'";
      text += piece;
    }
    text += stream.flush();
    EXPECT_EQ(text, input);
    EXPECT_EQ(tokenizer->decode(ids), input);
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, StreamingTest, ::testing::Values("llama-spm", "gpt-2", "phi-3"),
                         [](const auto& info) {
                           return info.param == "llama-spm" ? std::string("llama_spm")
                                  : info.param == "gpt-2"   ? std::string("gpt_2")
                                                            : std::string("phi_3");
                         });

TEST(StreamingDetokenizer, HoldsAnIncompleteSequenceUntilItCompletes) {
  auto tokenizer = test::load_vocab_tokenizer("llama-spm");
  StreamingDetokenizer stream(*tokenizer);
  // U+20AC (€) is E2 82 AC.
  EXPECT_EQ(stream.push(*tokenizer->find_piece("<0xE2>")), "");
  EXPECT_EQ(stream.push(*tokenizer->find_piece("<0x82>")), "");
  EXPECT_EQ(stream.push(*tokenizer->find_piece("<0xAC>")), "\xE2\x82\xAC");
  EXPECT_EQ(stream.flush(), "");
}

TEST(StreamingDetokenizer, ReplacesBrokenSequencesWithOneReplacementCharacterEach) {
  auto tokenizer = test::load_vocab_tokenizer("llama-spm");
  StreamingDetokenizer stream(*tokenizer);
  EXPECT_EQ(stream.push(*tokenizer->find_piece("<0xF0>")), "");
  // 'A' cannot continue F0: the maximal subpart F0 becomes one U+FFFD.
  EXPECT_EQ(stream.push(*tokenizer->find_piece("<0x41>")),
            "\xEF\xBF\xBD"
            "A");
  EXPECT_EQ(stream.push(*tokenizer->find_piece("<0xE2>")), "");
  EXPECT_EQ(stream.push(*tokenizer->find_piece("<0x82>")), "");
  EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD");
}

TEST(StreamingDetokenizer, DropsOnlyTheEncodersLeadingSpace) {
  auto tokenizer = test::load_vocab_tokenizer("llama-spm");
  auto ids = tokenizer->encode("  two spaces", {.add_bos = true});
  StreamingDetokenizer stream(*tokenizer);
  std::string text;
  for (TokenId id : ids) text += stream.push(id);
  EXPECT_EQ(text + stream.flush(), "  two spaces");
}

// Streaming only the generated tokens after a prompt keeps the first word's space.
TEST(StreamingDetokenizer, KeepsTheSpaceOfTheFirstTokenAfterAPrompt) {
  auto tokenizer = test::load_vocab_tokenizer("llama-spm");
  auto all = tokenizer->encode("Once upon a time", {.add_bos = true});
  auto prompt = tokenizer->encode("Once upon a", {.add_bos = true});
  ASSERT_TRUE(std::equal(prompt.begin(), prompt.end(), all.begin()));
  StreamingDetokenizer after_prompt(*tokenizer, prompt);
  std::string text;
  for (size_t i = prompt.size(); i < all.size(); ++i) text += after_prompt.push(all[i]);
  EXPECT_EQ(text + after_prompt.flush(), " time");

  std::vector<TokenId> bos_only{*tokenizer->bos()};
  StreamingDetokenizer after_bos(*tokenizer, bos_only);
  text.clear();
  for (size_t i = 1; i < all.size(); ++i) text += after_bos.push(all[i]);
  EXPECT_EQ(text + after_bos.flush(), "Once upon a time");
}

TEST(Decode, ControlTokensAreSilentUnlessRendered) {
  auto tokenizer = test::load_vocab_tokenizer("llama-spm");
  auto ids = tokenizer->encode("Hello", {.add_bos = true});
  ASSERT_EQ(ids.front(), *tokenizer->bos());
  EXPECT_EQ(tokenizer->decode(ids), "Hello");
  EXPECT_EQ(tokenizer->decode(ids, /*render_special=*/true),
            tokenizer->piece(*tokenizer->bos()) + "Hello");
}

TEST(Decode, RejectsIdsOutsideTheVocabulary) {
  auto tokenizer = test::load_vocab_tokenizer("gpt-2");
  std::vector<TokenId> ids{tokenizer->vocab_size()};
  EXPECT_THROW(tokenizer->decode(ids), Error);
  std::vector<TokenId> negative{-1};
  EXPECT_THROW(tokenizer->decode(negative), Error);
}

}  // namespace
}  // namespace weft::tokenizer
