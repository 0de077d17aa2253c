// stories260K's SentencePiece vocabulary against llama2.c's own encoder and decoder output.
#include <gtest/gtest.h>

#include <sstream>

#include "gguf/gguf_file.hpp"
#include "support/shared_files.hpp"
#include "support/vocab_vectors.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {
namespace {

std::string reference_path(int n, const std::string& suffix) {
  return test::shared_path("models/stories260K/reference-llama2c/ref" + std::to_string(n) + suffix)
      .string();
}

// The ids after `label` on the line that starts with it.
std::vector<TokenId> read_ids_after(const std::string& text, const std::string& label) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(label, 0) != 0) continue;
    std::istringstream numbers(line.substr(label.size()));
    std::vector<TokenId> ids;
    for (TokenId id; numbers >> id;) ids.push_back(id);
    return ids;
  }
  throw std::runtime_error("no line starting with '" + label + "'");
}

std::unique_ptr<Tokenizer> stories_tokenizer() {
  auto file =
      gguf::GgufFile::open(test::shared_path("models/stories260K/stories260K-f32.gguf").string());
  return Tokenizer::from_gguf(*file);
}

TEST(Stories260KTokenizer, PromptsGiveLlama2cIds) {
  auto tokenizer = stories_tokenizer();
  ASSERT_TRUE(tokenizer->add_bos_by_default());
  for (int n = 1; n <= 4; ++n) {
    std::string prompt = test::read_text_file(reference_path(n, ".prompt.txt"));
    auto expected =
        read_ids_after(test::read_text_file(reference_path(n, ".tokens.txt")), "prompt_tokens:");
    EXPECT_EQ(tokenizer->encode(prompt, {.add_bos = true}), expected)
        << "ref" << n << " '" << prompt << "'";
  }
}

// run.c prints each generated piece; its output is the decoded text plus a final newline.
TEST(Stories260KTokenizer, DecodingGivesLlama2cText) {
  auto tokenizer = stories_tokenizer();
  for (int n = 1; n <= 4; ++n) {
    std::string tokens = test::read_text_file(reference_path(n, ".tokens.txt"));
    std::vector<TokenId> ids{*tokenizer->bos()};
    std::string label = tokens.substr(tokens.find("sequence_after_pos0"));
    label = label.substr(0, label.find(':') + 1);
    for (TokenId id : read_ids_after(tokens, label)) ids.push_back(id);
    std::string expected = test::read_text_file(reference_path(n, ".text.txt"));
    ASSERT_FALSE(expected.empty());
    expected.pop_back();
    EXPECT_EQ(tokenizer->decode(ids), expected) << "ref" << n;

    StreamingDetokenizer stream(*tokenizer);
    std::string streamed;
    for (TokenId id : ids) streamed += stream.push(id);
    EXPECT_EQ(streamed + stream.flush(), expected) << "ref" << n;
  }
}

}  // namespace
}  // namespace weft::tokenizer
