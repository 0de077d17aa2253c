// weft's tokenizer built from SmolLM2's tokenizer.json against ids made by an independent
// implementation: Hugging Face's own JavaScript tokenizers (@huggingface/tokenizers, pinned
// in tests/tokenizer/hf-reference/package-lock.json) over 261 strings — ASCII, scripts from
// Latin to Thai, whitespace runs, digits, code, emoji sequences, control characters, and the
// model's added tokens inside text. tests/tokenizer/hf-reference/generate.mjs made the data
// file; its comment has the command.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/shared_files.hpp"
#include "tokenizer/hf_import.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {
namespace {

nlohmann::json reference_cases() {
  std::ifstream file(std::string(WEFT_SOURCE_DIR) +
                     "/tests/tokenizer/hf-reference/smollm2-ids.json");
  EXPECT_TRUE(file.good()) << "tests/tokenizer/hf-reference/smollm2-ids.json is missing";
  return nlohmann::json::parse(file, nullptr, false);
}

std::string ids_text(const std::vector<TokenId>& ids) {
  std::string text;
  for (TokenId id : ids) {
    if (!text.empty()) text += ' ';
    text += std::to_string(id);
  }
  return text;
}

TEST(HfReferenceIds, WeftEncodesEveryStringAsHuggingFaceTokenizersDoes) {
  const auto reference = reference_cases();
  ASSERT_TRUE(reference.is_object());
  ASSERT_NE(reference.value("reference", "").find("@huggingface/tokenizers"), std::string::npos);
  const auto& cases = reference.at("cases");
  ASSERT_GE(cases.size(), 250u);
  auto tokenizer = tokenizer_from_metadata(hf_tokenizer_metadata_from_file(
      test::shared_path("models/smollm2-tokenizer/tokenizer.json")));
  // Hugging Face splits added tokens out of any text; add_special_tokens: false adds no BOS.
  const EncodeOptions options{.add_bos = false, .parse_special = true, .add_eos = false};
  size_t agreeing = 0, ids_compared = 0;
  for (const auto& entry : cases) {
    const auto text = entry.at("text").get<std::string>();
    const auto expected = entry.at("ids").get<std::vector<TokenId>>();
    const auto ids = tokenizer->encode(text, options);
    ids_compared += expected.size();
    if (ids == expected) {
      ++agreeing;
    } else {
      ADD_FAILURE() << "'" << text << "': weft " << ids_text(ids) << ", Hugging Face "
                    << ids_text(expected);
    }
  }
  std::printf("SmolLM2 tokenizer vs @huggingface/tokenizers: %zu/%zu strings, %zu ids\n", agreeing,
              cases.size(), ids_compared);
  EXPECT_EQ(agreeing, cases.size());
  EXPECT_GT(ids_compared, 2000u);
}

}  // namespace
}  // namespace weft::tokenizer
