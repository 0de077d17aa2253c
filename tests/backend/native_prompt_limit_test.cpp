// Issue 19: a 60 MiB prompt for a 128-token context was tokenised whole (14.7 s, 2.16 GB)
// before the context check. A prompt longer than (the most bytes one token can stand for) ×
// (the context length) cannot fit, and is refused before any tokenising.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "backend/native_prompt.hpp"
#include "support/fake_tokenizer.hpp"
#include "support/shared_files.hpp"
#include "tokenizer/hf_import.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

// Counts encode calls; one token per 4 bytes, as dense as kFortyBytes allows.
class CountingTokenizer : public testing::FakeTokenizer {
 public:
  CountingTokenizer() : FakeTokenizer({"a", "b"}, {}) {}
  std::vector<TokenId> encode(std::string_view text, tokenizer::EncodeOptions) const override {
    ++encodes;
    return std::vector<TokenId>((text.size() + 3) / 4, 0);
  }
  mutable std::atomic<int> encodes{0};
};

// At most 4 bytes per token, 10 tokens: 40 bytes.
constexpr runtime::PromptLimit kFortyBytes{4, 10};

GenerationRequest request_of(std::string content, bool raw = false) {
  GenerationRequest request;
  request.raw_prompt = raw;
  request.messages = {{Role::user, std::move(content)}};
  return request;
}

void expect_refused_without_encoding(const backend::NativePromptFormat& format,
                                     const GenerationRequest& request, const std::string& what) {
  CountingTokenizer tokenizer;
  try {
    (void)format.tokens(tokenizer, request, kFortyBytes);
    ADD_FAILURE() << what << ": accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::prompt_too_long) << what;
    EXPECT_NE(std::string(error.what()).find("more than 10 tokens, the context length"),
              std::string::npos)
        << what << ": " << error.what();
  }
  EXPECT_EQ(tokenizer.encodes.load(), 0) << what << ": tokenised before the check";
}

TEST(NativePromptLimit, APromptThatCannotFitIsRefusedBeforeTokenising) {
  const backend::NativePromptFormat plain(std::nullopt, "", "");
  const backend::NativePromptFormat chat(
      chat::ChatTemplate("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"), "",
      "");
  expect_refused_without_encoding(plain, request_of(std::string(41, 'x'), true), "raw prompt");
  expect_refused_without_encoding(plain, request_of(std::string(41, 'x')), "plain completion");
  // Two user messages joined by a newline: 20 + 1 + 20 = 41 bytes.
  GenerationRequest two = request_of(std::string(20, 'x'));
  two.messages.push_back({Role::user, std::string(20, 'y')});
  expect_refused_without_encoding(plain, two, "joined user messages");
  // The rendering, "<user>" and 35 bytes, is what counts.
  expect_refused_without_encoding(chat, request_of(std::string(35, 'x')), "template");

  // At the limit exactly, each is tokenised as before.
  CountingTokenizer tokenizer;
  EXPECT_EQ(plain.tokens(tokenizer, request_of(std::string(40, 'x'), true), kFortyBytes).size(),
            10u);
  EXPECT_EQ(plain.tokens(tokenizer, request_of(std::string(40, 'x')), kFortyBytes).size(), 10u);
  EXPECT_NO_THROW((void)chat.tokens(tokenizer, request_of(std::string(34, 'x')), kFortyBytes));
}

// WordPiece drops whitespace: a text of any length may give few tokens.
TEST(NativePromptLimit, NoLimitForAVocabularyThatMayDropInput) {
  class WordPieceLike : public testing::FakeTokenizer {
   public:
    WordPieceLike() : FakeTokenizer({"a"}, {}) {}
    std::string_view model_name() const override { return "bert"; }
  };
  const auto limit = runtime::PromptLimit::for_context(WordPieceLike(), 10);
  EXPECT_EQ(limit.bytes_per_token, 0u);
  EXPECT_NO_THROW(limit.check(1u << 30));
  EXPECT_NO_THROW(runtime::PromptLimit{}.check(1u << 30));
}

// No prompt that fits is refused: with a real vocabulary (SmolLM2's byte-level BPE), texts as
// dense in bytes per token as it allows (its longest token repeated) and ordinary ones all
// pass a limit whose context is exactly their token count.
TEST(NativePromptLimit, APromptThatFitsExactlyIsAccepted) {
  const auto tokenizer =
      tokenizer::tokenizer_from_metadata(tokenizer::hf_tokenizer_metadata_from_file(
          test::shared_path("models/smollm2-tokenizer/tokenizer.json")));
  const size_t bound = runtime::PromptLimit::for_context(*tokenizer, 1).bytes_per_token;
  std::string longest;
  for (tokenizer::TokenId id = 0; id < tokenizer->vocab_size(); ++id) {
    if (tokenizer->type(id) != tokenizer::TokenType::normal) continue;
    if (tokenizer->token_bytes(id).size() > longest.size()) longest = tokenizer->token_bytes(id);
  }
  ASSERT_GT(longest.size(), 8u);
  EXPECT_GE(bound, longest.size());
  const backend::NativePromptFormat plain(std::nullopt, "", "");
  for (const std::string& text :
       {longest, longest + longest + longest, std::string(5000, ' '), std::string(5000, '-'),
        std::string("Once upon a time, \xE4\xB8\x80\xE4\xB8\xAA\xE5\xB0\x8F\xE5\xA5\xB3\xE5\xAD"
                    "\xA9 \xF0\x9F\x98\x80 ran."),
        std::string(3000, '\n')}) {
    const auto request = request_of(text, true);
    const auto ids = plain.tokens(*tokenizer, request);
    const auto exact = runtime::PromptLimit::for_context(*tokenizer, ids.size());
    EXPECT_NO_THROW((void)plain.tokens(*tokenizer, request, exact)) << text.size() << " bytes";
    EXPECT_LE(text.size(), bound * ids.size());
  }
  // And one byte past the limit of a small context is refused.
  const auto small = runtime::PromptLimit::for_context(*tokenizer, 8);
  const std::string too_long(bound * 8 + 1, 'x');
  EXPECT_THROW((void)plain.tokens(*tokenizer, request_of(too_long, true), small), Error);
}

// A prompt within the byte bound can still have more tokens than the context: it is refused
// from an encoding capped at the context, which stops soon after the context is full.
TEST(NativePromptLimit, APromptWithTooManyTokensIsRefusedFromACappedEncoding) {
  const auto tokenizer =
      tokenizer::tokenizer_from_metadata(tokenizer::hf_tokenizer_metadata_from_file(
          test::shared_path("models/smollm2-tokenizer/tokenizer.json")));
  const auto limit = runtime::PromptLimit::for_context(*tokenizer, 64);
  std::string text;
  while (text.size() < 2000) text += "the cat sat on the mat. ";
  ASSERT_LE(text.size(), limit.bytes_per_token * 64);  // passes the byte bound
  const backend::NativePromptFormat plain(std::nullopt, "", "");
  const backend::NativePromptFormat chat(
      chat::ChatTemplate("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"), "",
      "");
  for (const auto* format : {&plain, &chat}) {
    try {
      (void)format->tokens(*tokenizer, request_of(text), limit);
      ADD_FAILURE() << "accepted";
    } catch (const runtime::PromptTooLong& error) {
      EXPECT_EQ(error.code(), ErrorCode::prompt_too_long);
      EXPECT_NE(std::string(error.what())
                    .find("the prompt has more than 64 tokens but the context holds only 64"),
                std::string::npos)
          << error.what();
    }
  }
  // The same text fits a context of its length.
  const size_t count = plain.tokens(*tokenizer, request_of(text)).size();
  EXPECT_GT(count, 64u);
  EXPECT_EQ(plain
                .tokens(*tokenizer, request_of(text),
                        runtime::PromptLimit::for_context(*tokenizer, count))
                .size(),
            count);
}

}  // namespace
}  // namespace weft
