// `weft tokenize` end to end through the built executable.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gguf/gguf_file.hpp"
#include "support/run_weft.hpp"
#include "support/run_weft_input.hpp"
#include "support/shared_files.hpp"
#include "support/vocab_vectors.hpp"

namespace weft::test {
namespace {

std::string stories() {
  return shared_path("models/stories260K/stories260K-f32.gguf").string();
}

std::string prompt_tokens_line(int n) {
  std::istringstream lines(read_text_file(
      shared_path("models/stories260K/reference-llama2c/ref" + std::to_string(n) + ".tokens.txt")));
  std::string line;
  std::getline(lines, line);
  const std::string label = "prompt_tokens: ";
  EXPECT_EQ(line.rfind(label, 0), 0u);
  return line.substr(label.size());
}

std::string ids_line(const std::vector<int32_t>& ids) {
  std::string out;
  for (auto id : ids) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id);
  }
  return out;
}

TEST(CmdTokenize, PrintsLlama2cPromptIdsWithBos) {
  std::string prompt =
      read_text_file(shared_path("models/stories260K/reference-llama2c/ref2.prompt.txt"));
  auto result = run_weft({"tokenize", stories(), prompt});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, prompt_tokens_line(2) + "\n");

  auto no_bos = run_weft({"tokenize", stories(), prompt, "--no-bos"});
  ASSERT_EQ(no_bos.exit_code, 0) << no_bos.err;
  EXPECT_EQ(no_bos.out, prompt_tokens_line(2).substr(2) + "\n");  // without "1 "
}

TEST(CmdTokenize, FollowsTheVocabularysBosChoice) {
  auto vectors = load_vocab_vectors("gpt-2");  // gpt-2 adds no BOS
  auto result = run_weft({"tokenize", vectors.gguf.string(), vectors.inputs[11]});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, ids_line(vectors.expected[11]) + "\n");
}

TEST(CmdTokenize, ParsesSpecialTextOnlyWithTheFlag) {
  auto vectors = load_vocab_vectors("gpt-2");
  auto file = gguf::GgufFile::open(vectors.gguf.string());
  std::string eos = std::to_string(*file->get_uint("tokenizer.ggml.eos_token_id"));
  auto parsed = run_weft({"tokenize", vectors.gguf.string(), "<|endoftext|>", "--parse-special"});
  EXPECT_EQ(parsed.out, eos + "\n");
  auto plain = run_weft({"tokenize", vectors.gguf.string(), "<|endoftext|>"});
  EXPECT_NE(plain.out, eos + "\n");
}

TEST(CmdTokenize, ShowsPiecesAsStored) {
  auto file = gguf::GgufFile::open(stories());
  auto pieces = *file->get_string_array("tokenizer.ggml.tokens");
  auto result = run_weft({"tokenize", stories(), "Once upon a time", "--pieces"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::string expected;
  std::istringstream ids(prompt_tokens_line(2));
  for (int id; ids >> id;)
    expected += std::to_string(id) + "\t" + pieces[static_cast<size_t>(id)] + "\n";
  EXPECT_EQ(result.out, expected);
}

TEST(CmdTokenize, DecodesIdsToText) {
  auto vectors = load_vocab_vectors("llama-spm");
  std::vector<std::string> arguments{"tokenize", vectors.gguf.string(), "--decode"};
  for (auto id : vectors.expected[18]) arguments.push_back(std::to_string(id));
  auto result = run_weft(arguments);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, vectors.inputs[18] + "\n");
}

TEST(CmdTokenize, ReadsTheTextFromStdinWhenNoneIsGiven) {
  std::string prompt =
      read_text_file(shared_path("models/stories260K/reference-llama2c/ref2.prompt.txt"));
  auto result = run_weft_with_input({"tokenize", stories()}, prompt);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, prompt_tokens_line(2) + "\n");
  // Byte for byte: a final newline is part of the text.
  auto vectors = load_vocab_vectors("gpt-2");
  auto at = std::find(vectors.inputs.begin(), vectors.inputs.end(), "\n");
  ASSERT_NE(at, vectors.inputs.end());
  auto newline = run_weft_with_input({"tokenize", vectors.gguf.string()}, "\n");
  ASSERT_EQ(newline.exit_code, 0) << newline.err;
  EXPECT_EQ(newline.out,
            ids_line(vectors.expected[static_cast<size_t>(at - vectors.inputs.begin())]) + "\n");
}

// WordPiece vocabularies wrap the text in [CLS] … [SEP] as the library does by default
// (Tokenizer.WordPieceAddsClsAndSepByDefault); the ids come from the GGUF and the vectors.
TEST(CmdTokenize, AddsEosWhereTheVocabularyAsks) {
  auto vectors = load_vocab_vectors("bert-bge");
  auto file = gguf::GgufFile::open(vectors.gguf.string());
  const std::string cls = std::to_string(*file->get_uint("tokenizer.ggml.cls_token_id"));
  const std::string sep = std::to_string(*file->get_uint("tokenizer.ggml.seperator_token_id"));
  const std::string text = "Hello, world!";
  auto at = std::find(vectors.inputs.begin(), vectors.inputs.end(), text);
  ASSERT_NE(at, vectors.inputs.end());
  const std::string words =
      ids_line(vectors.expected[static_cast<size_t>(at - vectors.inputs.begin())]);

  auto result = run_weft({"tokenize", vectors.gguf.string(), text});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, cls + " " + words + " " + sep + "\n");
  auto from_stdin = run_weft_with_input({"tokenize", vectors.gguf.string()}, text);
  EXPECT_EQ(from_stdin.out, result.out);
  auto no_eos = run_weft({"tokenize", vectors.gguf.string(), text, "--no-eos"});
  EXPECT_EQ(no_eos.out, cls + " " + words + "\n");
  auto neither = run_weft({"tokenize", vectors.gguf.string(), text, "--no-eos", "--no-bos"});
  EXPECT_EQ(neither.out, words + "\n");
}

// --jsonl: one JSON string a line in, the same ids as llama2c's and their decoding out.
TEST(CmdTokenize, JsonLinesGiveIdsAndDecodingPerText) {
  const std::string prompt =
      read_text_file(shared_path("models/stories260K/reference-llama2c/ref2.prompt.txt"));
  const std::string input = nlohmann::json(prompt).dump() + "\n" + nlohmann::json("").dump() + "\n";
  auto result = run_weft_with_input({"tokenize", stories(), "--jsonl"}, input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream lines(result.out);
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  const auto first = nlohmann::json::parse(line);
  EXPECT_EQ(ids_line(first.at("ids").get<std::vector<int32_t>>()), prompt_tokens_line(2));
  EXPECT_EQ(first.at("decoded"), prompt);
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(nlohmann::json::parse(line).at("ids"), nlohmann::json::array({1}));  // BOS alone
  EXPECT_FALSE(std::getline(lines, line));

  auto not_a_string = run_weft_with_input({"tokenize", stories(), "--jsonl"}, "[1, 2]\n");
  EXPECT_NE(not_a_string.exit_code, 0);
  EXPECT_NE(not_a_string.err.find("line 1 is not a JSON string"), std::string::npos)
      << not_a_string.err;
}

TEST(CmdTokenize, ReportsBadInputAsAnError) {
  auto result = run_weft({"tokenize", stories(), "--decode", "512"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("512"), std::string::npos) << result.err;
  auto missing = run_weft({"tokenize", "/nonexistent.gguf", "x"});
  EXPECT_NE(missing.exit_code, 0);
}

}  // namespace
}  // namespace weft::test
