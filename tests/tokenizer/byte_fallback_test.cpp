// SentencePiece-style BPE with byte fallback on tiny hand-made vocabularies, in both forms
// weft reads it: a Hugging Face tokenizer.json (BPE with byte_fallback: merges apply in their
// listed order, only the listed pairs merge) and a GGUF as llama.cpp's converter writes one
// (model llama with scores: the pair forming the best-scored piece merges first). Every
// expected id follows from those rules and the ids given in the vocabularies below.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "tokenizer/hf_import.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/error.hpp"

namespace weft::tokenizer {
namespace {

using nlohmann::json;

// <0x00>..<0xFF> are ids 3..258.
constexpr TokenId byte_id(int byte) {
  return 3 + byte;
}
constexpr TokenId kSpaceMark = 259, kA = 260, kB = 261, kAB = 262, kSpaceA = 263, kSpaceAB = 264,
                  kC = 265, kBC = 266, kCA = 267;

json byte_fallback_tokenizer(json merges) {
  json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", byte);
    vocab[name] = byte_id(byte);
  }
  vocab["\xE2\x96\x81"] = kSpaceMark;
  vocab["a"] = kA;
  vocab["b"] = kB;
  vocab["ab"] = kAB;
  vocab
      ["\xE2\x96\x81"
       "a"] = kSpaceA;
  vocab
      ["\xE2\x96\x81"
       "ab"] = kSpaceAB;
  vocab["c"] = kC;
  vocab["bc"] = kBC;
  vocab["ca"] = kCA;  // no merge forms it
  return {{"model",
           {{"type", "BPE"},
            {"byte_fallback", true},
            {"fuse_unk", true},
            {"unk_token", "<unk>"},
            {"vocab", vocab},
            {"merges", merges}}},
          {"normalizer",
           {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}}},
          {"pre_tokenizer",
           {{"type", "Split"},
            {"pattern", {{"String", " "}}},
            {"behavior", "MergedWithPrevious"},
            {"invert", false}}},
          {"post_processor",
           {{"type", "TemplateProcessing"},
            {"single", json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
            {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
          {"added_tokens", json::array({{{"id", 0}, {"content", "<unk>"}, {"special", true}},
                                        {{"id", 1}, {"content", "<s>"}, {"special", true}},
                                        {{"id", 2}, {"content", "</s>"}, {"special", true}}})}};
}

json default_merges() {
  return json::array({"a b", "\xE2\x96\x81 ab", "\xE2\x96\x81 a", "b c"});
}

std::unique_ptr<Tokenizer> from_json(const json& tokenizer_json) {
  return tokenizer_from_metadata(hf_tokenizer_metadata(tokenizer_json.dump()));
}

std::vector<TokenId> plain(const Tokenizer& tokenizer, std::string_view text) {
  return tokenizer.encode(text, {.add_bos = false, .parse_special = false});
}

TEST(ByteFallbackJson, MergesInListedOrder) {
  auto tokenizer = from_json(byte_fallback_tokenizer(default_merges()));
  EXPECT_EQ(plain(*tokenizer, "ab"), (std::vector<TokenId>{kAB}));
  // "▁ab": a+b (rank 0) first, then ▁+ab (rank 1).
  EXPECT_EQ(plain(*tokenizer, " ab"), (std::vector<TokenId>{kSpaceAB}));
  EXPECT_EQ(plain(*tokenizer, " a"), (std::vector<TokenId>{kSpaceA}));
  // a+b (rank 0) wins over b+c (rank 3).
  EXPECT_EQ(plain(*tokenizer, "abc"), (std::vector<TokenId>{kAB, kC}));
  // Listed the other way round, b+c wins.
  auto reversed = from_json(byte_fallback_tokenizer(json::array({"b c", "a b"})));
  EXPECT_EQ(plain(*reversed, "abc"), (std::vector<TokenId>{kA, kBC}));
}

TEST(ByteFallbackJson, OnlyListedPairsMerge) {
  auto tokenizer = from_json(byte_fallback_tokenizer(default_merges()));
  // "ca" is a piece, but no merge forms it.
  EXPECT_EQ(plain(*tokenizer, "ca"), (std::vector<TokenId>{kC, kA}));
  // ▁ then b: no merge "▁ b".
  EXPECT_EQ(plain(*tokenizer, "a b"), (std::vector<TokenId>{kA, kSpaceMark, kB}));
}

TEST(ByteFallbackJson, MissingCharactersBecomeTheirUtf8Bytes) {
  auto tokenizer = from_json(byte_fallback_tokenizer(default_merges()));
  // é = C3 A9, € = E2 82 AC; bytes never merge with their neighbours.
  EXPECT_EQ(plain(*tokenizer, "\xC3\xA9"), (std::vector<TokenId>{byte_id(0xC3), byte_id(0xA9)}));
  EXPECT_EQ(plain(*tokenizer,
                  "a\xE2\x82\xAC"
                  "b"),
            (std::vector<TokenId>{kA, byte_id(0xE2), byte_id(0x82), byte_id(0xAC), kB}));
  EXPECT_EQ(plain(*tokenizer, std::string("\0c", 2)), (std::vector<TokenId>{byte_id(0), kC}));
  // Decoding puts the bytes back together and the marks back to spaces.
  EXPECT_EQ(tokenizer->decode(plain(*tokenizer, " ab \xC3\xA9!")), " ab \xC3\xA9!");
}

TEST(ByteFallbackJson, BosComesFromThePostProcessorTemplate) {
  auto tokenizer = from_json(byte_fallback_tokenizer(default_merges()));
  EXPECT_TRUE(tokenizer->add_bos_by_default());
  EXPECT_EQ(tokenizer->bos(), 1);
  EXPECT_EQ(tokenizer->unk(), 0);
  EXPECT_EQ(tokenizer->encode("ab", {.add_bos = true}), (std::vector<TokenId>{1, kAB}));
  EXPECT_EQ(tokenizer->encode("<s>ab", {.add_bos = false, .parse_special = true}),
            (std::vector<TokenId>{1, kAB}));
}

TEST(ByteFallbackJson, PrependNormalizerAddsTheSpaceMark) {
  json tokenizer_json = byte_fallback_tokenizer(default_merges());
  tokenizer_json["normalizer"] = {
      {"type", "Sequence"},
      {"normalizers", json::array({{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                                   tokenizer_json["normalizer"]})}};
  auto tokenizer = from_json(tokenizer_json);
  EXPECT_EQ(plain(*tokenizer, "ab"), (std::vector<TokenId>{kSpaceAB}));
}

TEST(ByteFallbackJson, RefusesWhatItCannotReproduce) {
  json unknown_normalizer = byte_fallback_tokenizer(default_merges());
  unknown_normalizer["normalizer"] = {{"type", "NFKC"}};
  json regex_split = byte_fallback_tokenizer(default_merges());
  regex_split["pre_tokenizer"]["pattern"] = {{"Regex", "\\s+"}};
  json ignore_merges = byte_fallback_tokenizer(default_merges());
  ignore_merges["model"]["ignore_merges"] = true;
  for (const json& bad : {unknown_normalizer, regex_split, ignore_merges}) {
    try {
      hf_tokenizer_metadata(bad.dump());
      ADD_FAILURE() << "accepted " << bad.dump().substr(0, 200);
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("byte_fallback"), std::string::npos) << error.what();
    }
  }
}

// A GGUF as llama.cpp writes one from a SentencePiece model: scores, token types, no merges.
class ByteFallbackGguf : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
    std::vector<int32_t> types = {2, 3, 3};
    for (int byte = 0; byte < 256; ++byte) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", byte);
      tokens.push_back(name);
      types.push_back(6);
    }
    for (const char* piece : {"\xE2\x96\x81", "a", "b", "ab",
                              "\xE2\x96\x81"
                              "a",
                              "\xE2\x96\x81"
                              "ab",
                              "c", "bc", "ca"}) {
      tokens.push_back(piece);
      types.push_back(1);
    }
    std::vector<float> scores(tokens.size(), -100.0f);
    scores[kAB] = -5.0f;
    scores[kBC] = -1.0f;  // better than ab: "abc" is a + bc
    scores[kSpaceA] = -2.0f;
    scores[kSpaceAB] = -3.0f;
    scores[kCA] = -4.0f;  // scores need no merge list: "ca" merges

    gguf::GgufWriter writer;
    writer.set_string("tokenizer.ggml.model", "llama");
    writer.set_string_array("tokenizer.ggml.tokens", tokens);
    writer.set_int32_array("tokenizer.ggml.token_type", types);
    writer.set_float32_array("tokenizer.ggml.scores", scores);
    writer.set_uint32("tokenizer.ggml.bos_token_id", 1);
    writer.set_uint32("tokenizer.ggml.unknown_token_id", 0);
    writer.set_bool("tokenizer.ggml.add_space_prefix", false);
    path_ = std::filesystem::temp_directory_path() /
            ("weft-byte-fallback-" + std::to_string(::getpid()) + ".gguf");
    writer.write(path_.string());
    file_ = gguf::GgufFile::open(path_.string());
    tokenizer_ = Tokenizer::from_gguf(*file_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::filesystem::path path_;
  std::shared_ptr<const gguf::GgufFile> file_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(ByteFallbackGguf, MergesBestScoreFirst) {
  EXPECT_EQ(plain(*tokenizer_, "abc"), (std::vector<TokenId>{kA, kBC}));
  EXPECT_EQ(plain(*tokenizer_, "ca"), (std::vector<TokenId>{kCA}));
  // ▁+a (-2) merges before a+b (-5); then ▁a+b forms ▁ab.
  EXPECT_EQ(plain(*tokenizer_, " ab"), (std::vector<TokenId>{kSpaceAB}));
  // No space prefix: add_space_prefix is false, as in Gemma 3's GGUF.
  EXPECT_EQ(plain(*tokenizer_, "ab"), (std::vector<TokenId>{kAB}));
}

TEST_F(ByteFallbackGguf, MissingCharactersBecomeTheirUtf8Bytes) {
  EXPECT_EQ(plain(*tokenizer_, "a\xC3\xA9"),
            (std::vector<TokenId>{kA, byte_id(0xC3), byte_id(0xA9)}));
  EXPECT_EQ(tokenizer_->decode(plain(*tokenizer_, "c \xC3\xA9")), "c \xC3\xA9");
  EXPECT_EQ(tokenizer_->encode("ab", {.add_bos = true}), (std::vector<TokenId>{1, kAB}));
}

}  // namespace
}  // namespace weft::tokenizer
