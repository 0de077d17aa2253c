// Arbitrary bytes and very long runs: no crash, and lossless vocabularies stay lossless.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "gguf/gguf_file.hpp"
#include "support/vocab_vectors.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {
namespace {

std::string random_bytes(std::mt19937& random, size_t length) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::string text(length, '\0');
  for (char& c : text) c = static_cast<char>(byte(random));
  return text;
}

// Whether every byte has a normal token of its own (GPT-2 character or <0xNN>): only then can
// arbitrary bytes survive encode → decode. Some vocabularies lack control bytes, and DeepSeek
// stores a few byte characters as user-defined tokens.
bool covers_every_byte(const Tokenizer& tokenizer) {
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", byte);
    std::string piece = tokenizer.model_name() == "gpt2"
                            ? byte_level_map().encode(static_cast<uint8_t>(byte))
                            : std::string(name);
    auto id = tokenizer.find_piece(piece);
    if (!id) return false;
    auto type = tokenizer.type(*id);
    if (type != TokenType::normal && type != TokenType::byte) return false;
  }
  return true;
}

class RobustnessTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RobustnessTest, RandomBytesRoundTrip) {
  auto tokenizer = test::load_vocab_tokenizer(GetParam());
  bool lossless = covers_every_byte(*tokenizer);
  std::printf("%s: %s\n", GetParam().c_str(),
              lossless ? "every byte has a token" : "some bytes lack a token");
  std::mt19937 random(1234);
  for (int i = 0; i < 200; ++i) {
    std::string text = random_bytes(random, static_cast<size_t>(1 + i % 40));
    auto ids = tokenizer->encode(text, {.parse_special = true});
    if (!lossless) continue;  // must only not crash
    EXPECT_EQ(tokenizer->decode(ids, /*render_special=*/true), text) << "case " << i;
  }
}

TEST_P(RobustnessTest, LongRunsRoundTrip) {
  auto tokenizer = test::load_vocab_tokenizer(GetParam());
  for (std::string unit : {" ", "a", "3", "\n", "!", "\xE4\xB8\xAD", "\xF0\x9F\xA6\x99"}) {
    std::string text;
    while (text.size() < 200000) text += unit;
    auto ids = tokenizer->encode(text);
    if (tokenizer->model_name() == "bert") continue;  // lossy by design; must only not crash
    EXPECT_FALSE(ids.empty());
    EXPECT_EQ(tokenizer->decode(ids), text) << "run of '" << unit << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(SharedVocabs, RobustnessTest, ::testing::ValuesIn(test::vocab_names()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace weft::tokenizer
