// tokenizer.json → GGUF metadata, written through the GGUF writer and read back.
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "support/shared_files.hpp"
#include "support/vocab_vectors.hpp"
#include "tokenizer/hf_import.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/error.hpp"

namespace weft::tokenizer {
namespace {

std::filesystem::path smollm2_json() {
  return test::shared_path("models/smollm2-tokenizer/tokenizer.json");
}

class HfImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    metadata_ = hf_tokenizer_metadata_from_file(smollm2_json());
    direct_ = tokenizer_from_metadata(metadata_);
    gguf::GgufWriter writer;
    add_tokenizer_metadata(writer, metadata_);
    gguf_path_ = std::filesystem::temp_directory_path() /
                 ("weft-smollm2-tokenizer-" + std::to_string(::getpid()) + ".gguf");
    writer.write(gguf_path_.string());
    file_ = gguf::GgufFile::open(gguf_path_.string());
    from_gguf_ = Tokenizer::from_gguf(*file_);
  }
  void TearDown() override { std::filesystem::remove(gguf_path_); }

  std::vector<gguf::MetadataEntry> metadata_;
  std::unique_ptr<Tokenizer> direct_;
  std::filesystem::path gguf_path_;
  std::shared_ptr<const gguf::GgufFile> file_;
  std::unique_ptr<Tokenizer> from_gguf_;
};

TEST_F(HfImportTest, GgufCopyGivesTheSameIdsOnEveryTestString) {
  auto inputs = test::load_vocab_inputs("gpt-2");
  size_t same = 0;
  for (const auto& input : inputs) {
    auto ids = direct_->encode(input);
    EXPECT_EQ(from_gguf_->encode(input), ids) << input;
    EXPECT_EQ(from_gguf_->decode(ids), input) << input;
    same += from_gguf_->encode(input) == ids ? 1 : 0;
  }
  std::printf("smollm2 tokenizer.json vs GGUF: %zu/%zu\n", same, inputs.size());
  EXPECT_EQ(same, inputs.size());
}

// What the GGUF holds agrees with tokenizer.json and config.json themselves.
TEST_F(HfImportTest, MetadataMatchesTheJsonFiles) {
  auto root = nlohmann::json::parse(test::read_text_file(smollm2_json()));
  auto config = nlohmann::json::parse(
      test::read_text_file(test::shared_path("models/smollm2-tokenizer/config.json")));
  EXPECT_EQ(from_gguf_->vocab_size(), config.at("vocab_size").get<int32_t>());
  EXPECT_EQ(file_->get_string_array("tokenizer.ggml.merges")->size(),
            root.at("model").at("merges").size());
  EXPECT_EQ(file_->get_string("tokenizer.ggml.pre"), "smollm");
  for (const auto& [piece, id] : root.at("model").at("vocab").items()) {
    ASSERT_EQ(from_gguf_->piece(id.get<TokenId>()), piece);
  }
  for (const auto& added : root.at("added_tokens")) {
    TokenId id = added.at("id").get<TokenId>();
    EXPECT_EQ(from_gguf_->piece(id), added.at("content").get<std::string>());
    EXPECT_EQ(from_gguf_->type(id),
              added.at("special").get<bool>() ? TokenType::control : TokenType::user_defined);
  }
  EXPECT_EQ(from_gguf_->bos(), config.at("bos_token_id").get<TokenId>());
  EXPECT_EQ(from_gguf_->eos(), config.at("eos_token_id").get<TokenId>());
  EXPECT_FALSE(from_gguf_->add_bos_by_default());
}

// The README: "digits split individually", ChatML special tokens.
TEST_F(HfImportTest, SplitsDigitsAndParsesChatMarkers) {
  TokenId three = *from_gguf_->find_piece("3");
  EXPECT_EQ(from_gguf_->encode("333333"), std::vector<TokenId>(6, three));
  TokenId start = *from_gguf_->find_piece("<|im_start|>");
  TokenId end = *from_gguf_->find_piece("<|im_end|>");
  auto ids = from_gguf_->encode("<|im_start|>user<|im_end|>", {.parse_special = true});
  EXPECT_EQ(ids.front(), start);
  EXPECT_EQ(ids.back(), end);
  EXPECT_TRUE(from_gguf_->is_end_of_generation(end));
}

std::string pre_of(const std::vector<gguf::MetadataEntry>& metadata) {
  for (const auto& entry : metadata) {
    if (entry.key == "tokenizer.ggml.pre") return std::get<std::string>(entry.value.data);
  }
  return "";
}

// Llama 3 and Qwen2 ship a Split by their pattern followed by a regex-less ByteLevel.
TEST(HfImport, RecognisesLlama3AndQwen2SplitPatterns) {
  auto root = nlohmann::json::parse(test::read_text_file(smollm2_json()));
  const std::string contractions = R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|)";
  const std::string rest = R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  auto with_split = [&](const std::string& digits, bool nfc) {
    nlohmann::json copy = root;
    copy["normalizer"] = nfc ? nlohmann::json{{"type", "NFC"}} : nlohmann::json();
    copy["pre_tokenizer"] = {{"type", "Sequence"},
                             {"pretokenizers",
                              {{{"type", "Split"},
                                {"pattern", {{"Regex", contractions + digits + rest}}},
                                {"behavior", "Isolated"},
                                {"invert", false}},
                               {{"type", "ByteLevel"},
                                {"add_prefix_space", false},
                                {"trim_offsets", true},
                                {"use_regex", false}}}}};
    return copy.dump();
  };
  EXPECT_EQ(pre_of(hf_tokenizer_metadata(with_split(R"(\p{N}{1,3})", false))), "llama-bpe");
  EXPECT_EQ(pre_of(hf_tokenizer_metadata(with_split(R"(\p{N})", true))), "qwen2");
  EXPECT_THROW(hf_tokenizer_metadata(with_split(R"(\p{N}{1,5})", false)), Error);
}

std::string import_error_of(const std::filesystem::path& path) {
  try {
    hf_tokenizer_metadata_from_file(path);
  } catch (const Error& error) {
    return error.what();
  }
  return "accepted";
}

// Errors name the file that is wrong, by the path it was read from.
TEST(HfImport, ErrorsNameTheFileTheyAreAbout) {
  const auto config = test::shared_path("models/smollm2-tokenizer/config.json");
  std::string message = import_error_of(config);  // config.json given as the tokenizer
  EXPECT_EQ(message.rfind(config.string() + ": model is missing", 0), 0u) << message;
  EXPECT_EQ(message.find("tokenizer.json:"), std::string::npos) << message;

  // A config.json beside a good tokenizer.json, with an id past the vocabulary.
  auto dir = std::filesystem::temp_directory_path() /
             ("weft-hf-import-errors-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(smollm2_json(), dir / "tokenizer.json",
                             std::filesystem::copy_options::overwrite_existing);
  {
    std::ofstream out(dir / "config.json");
    out << R"({"bos_token_id": 1000000})";
  }
  message = import_error_of(dir / "tokenizer.json");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(
      message.rfind((dir / "config.json").string() + ": bos_token_id = 1000000 is outside", 0), 0u)
      << message;

  // Text without a file: the default names.
  try {
    hf_tokenizer_metadata(R"({"vocab_size": 10})");
    ADD_FAILURE() << "accepted a JSON object without a model";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()).rfind("tokenizer.json: model is missing", 0), 0u)
        << error.what();
  }
}

TEST(HfImport, RejectsWhatGgufCannotExpress) {
  EXPECT_THROW(hf_tokenizer_metadata("{"), Error);
  EXPECT_THROW(hf_tokenizer_metadata(R"({"model": {"type": "Unigram"}})"), Error);
  try {
    hf_tokenizer_metadata(
        R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
            "pre_tokenizer": {"type": "Whitespace"}})");
    ADD_FAILURE() << "accepted a Whitespace pre-tokenizer";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("pre_tokenizer"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace weft::tokenizer
