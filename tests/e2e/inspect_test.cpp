// `weft inspect` end to end: its text and JSON against the llama2.c originals of stories260K,
// the fixtures' SUMMARY.tsv and what the reader finds in the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gguf/gguf_file.hpp"
#include "support/run_weft.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

using nlohmann::ordered_json;
using test::run_weft;
using test::shared_path;

const std::string kStoriesF32File = shared_path("models/stories260K/stories260K-f32.gguf").string();

// Pieces of tok512.bin (llama2.c's tokenizer export): int32 max length, then per token a
// float32 score, an int32 length and the bytes.
std::vector<std::string> tok512_pieces() {
  auto bytes = test::read_file_bytes(shared_path("models/stories260K/tok512.bin"));
  std::vector<std::string> pieces;
  for (size_t at = 4; at + 8 <= bytes.size();) {
    int32_t length;
    std::memcpy(&length, bytes.data() + at + 4, 4);
    pieces.emplace_back(reinterpret_cast<const char*>(bytes.data() + at + 8), length);
    at += 8 + length;
  }
  return pieces;
}

std::vector<int32_t> checkpoint_header() {
  auto bytes = test::read_file_bytes(shared_path("models/stories260K/stories260K.bin"));
  std::vector<int32_t> header(7);
  std::memcpy(header.data(), bytes.data(), 7 * sizeof(int32_t));
  return header;
}

ordered_json inspect_json(const std::string& path, bool full) {
  std::vector<std::string> arguments = {"inspect", "--json", path};
  if (full) arguments.push_back("--full");
  auto result = run_weft(arguments);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return ordered_json::parse(result.out);
}

TEST(InspectCommand, JsonAgreesWithTheLlama2cOriginals) {
  auto out = inspect_json(kStoriesF32File, true);
  auto header = checkpoint_header();  // dim, hidden, layers, heads, kv heads, vocab, seq_len
  const auto& metadata = out["metadata"];
  EXPECT_EQ(metadata["llama.embedding_length"]["value"], header[0]);
  EXPECT_EQ(metadata["llama.feed_forward_length"]["value"], header[1]);
  EXPECT_EQ(metadata["llama.block_count"]["value"], header[2]);
  EXPECT_EQ(metadata["llama.attention.head_count"]["value"], header[3]);
  EXPECT_EQ(metadata["llama.attention.head_count_kv"]["value"], header[4]);

  const auto& tokens = metadata["tokenizer.ggml.tokens"];
  EXPECT_EQ(tokens["type"], "array");
  EXPECT_EQ(tokens["element_type"], "string");
  EXPECT_EQ(tokens["count"], header[5]);
  EXPECT_FALSE(tokens.contains("truncated"));
  auto pieces = tok512_pieces();
  ASSERT_EQ(tokens["value"].size(), pieces.size());
  EXPECT_EQ(tokens["value"][0], pieces[0]);  // "<unk>", stored alike in both
  EXPECT_EQ(tokens["value"][pieces.size() - 1], pieces.back());

  // The token embedding sits at file_offset and holds the checkpoint's first weights.
  auto file_bytes = test::read_file_bytes(kStoriesF32File);
  auto checkpoint = test::read_file_bytes(shared_path("models/stories260K/stories260K.bin"));
  bool found = false;
  for (const auto& tensor : out["tensors"]) {
    if (tensor["name"] != "token_embd.weight") continue;
    found = true;
    EXPECT_EQ(tensor["shape"], ordered_json::array({header[0], header[5]}));
    size_t bytes = tensor["bytes"], at = tensor["file_offset"];
    ASSERT_EQ(bytes, size_t(header[0]) * header[5] * sizeof(float));
    EXPECT_EQ(std::memcmp(file_bytes.data() + at, checkpoint.data() + 28, bytes), 0);
  }
  EXPECT_TRUE(found);
}

TEST(InspectCommand, JsonListsWhatTheReaderFinds) {
  for (const char* relative :
       {"fixtures/qwen3/qwen3-q4_k_m.gguf", "models/vocab/ggml-vocab-gpt-2.gguf"}) {
    SCOPED_TRACE(relative);
    auto path = shared_path(relative).string();
    auto file = gguf::GgufFile::open(path);
    auto out = inspect_json(path, false);
    EXPECT_EQ(out["version"], file->version());
    EXPECT_EQ(out["file_size"], std::filesystem::file_size(path));
    ASSERT_EQ(out["metadata"].size(), file->metadata().size());
    size_t index = 0;
    for (const auto& [key, entry] : out["metadata"].items()) {
      EXPECT_EQ(key, file->metadata()[index++].key);
      if (entry["type"] == "array" && entry["count"] > 8) {
        EXPECT_EQ(entry["truncated"], true);
        EXPECT_EQ(entry["value"].size(), 8u);
      }
    }
    ASSERT_EQ(out["tensors"].size(), file->tensors().size());
    for (size_t i = 0; i < file->tensors().size(); ++i) {
      EXPECT_EQ(out["tensors"][i]["name"], file->tensors()[i].name);
      EXPECT_EQ(out["tensors"][i]["offset"], file->tensors()[i].offset);
    }
  }
}

TEST(InspectCommand, TensorTypesMatchFixtureSummary) {
  std::ifstream summary(shared_path("fixtures/SUMMARY.tsv"));
  std::string line;
  std::string arch, variant, types;
  std::getline(summary, line);  // header
  // The first file with mixed tensor types is enough end to end.
  while (types.find(',') == std::string::npos && std::getline(summary, line)) {
    std::istringstream fields(line);
    std::getline(fields, arch, '\t');
    std::getline(fields, variant, '\t');
    std::getline(fields, types, '\t');
  }
  ASSERT_NE(types.find(','), std::string::npos);
  auto out =
      inspect_json(shared_path("fixtures/" + arch + "/" + variant + ".gguf").string(), false);
  std::map<std::string, int> counted;
  for (const auto& tensor : out["tensors"]) {
    std::string type = tensor["type"];
    for (auto& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ++counted[type];
  }
  std::string listed;
  for (const auto& [type, count] : counted) {
    listed += (listed.empty() ? "" : ",") + type + ":" + std::to_string(count);
  }
  EXPECT_EQ(listed, types);
}

TEST(InspectCommand, TextSummarisesLongArraysAndFullShowsThem) {
  auto pieces = tok512_pieces();
  auto brief = run_weft({"inspect", kStoriesF32File});
  ASSERT_EQ(brief.exit_code, 0) << brief.err;
  EXPECT_NE(brief.out.find("[string \xc3\x97 " + std::to_string(pieces.size()) + "] \"" +
                           pieces[0] + "\", "),
            std::string::npos)
      << brief.out;
  const std::string last = "\"" + pieces.back() + "\"";
  EXPECT_EQ(brief.out.find(last), std::string::npos);
  auto full = run_weft({"inspect", "--full", kStoriesF32File});
  ASSERT_EQ(full.exit_code, 0);
  EXPECT_NE(full.out.find(last), std::string::npos);

  auto file = gguf::GgufFile::open(kStoriesF32File);
  EXPECT_NE(brief.out.find("tensors: " + std::to_string(file->tensors().size())),
            std::string::npos);
  for (const auto& tensor : file->tensors()) {
    EXPECT_NE(brief.out.find(" " + tensor.name + " "), std::string::npos) << tensor.name;
  }
}

TEST(InspectCommand, RejectsAnInvalidFileWithTheReason) {
  auto result = run_weft({"inspect", shared_path("models/vocab-invalid/ggml-vocab-dbrx.gguf")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("duplicate metadata key 'general.file_type'"), std::string::npos)
      << result.err;
  EXPECT_TRUE(result.out.empty());
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

// Whether a file carries its own template, and whether its vocabulary has the ChatML tokens,
// are read with the GGUF reader; the command must say what the native backend then does: use
// the template, fall back to ChatML, or continue the user's text as plain completion.
TEST(InspectCommand, NamesTheChatTemplateInUse) {
  for (const char* relative :
       {"models/vocab/ggml-vocab-phi-3.gguf", "fixtures/llama/llama-f32.gguf",
        "models/stories260K/stories260K-f32.gguf"}) {
    std::string path = test::shared_path(relative).string();
    auto file = gguf::GgufFile::open(path);
    const bool has_template = file->has("tokenizer.chat_template");
    const auto pieces = *file->get_string_array("tokenizer.ggml.tokens");
    auto has_piece = [&](const char* piece) {
      return std::find(pieces.begin(), pieces.end(), piece) != pieces.end();
    };
    const bool has_chatml = has_piece("<|im_start|>") && has_piece("<|im_end|>");
    const std::string expected =
        has_template ? "tokenizer.chat_template"
        : has_chatml ? "fallback (ChatML; the file has none)"
                     : "none: plain completion (the file has no template and the vocabulary no "
                       "ChatML tokens)";
    auto result = test::run_weft({"inspect", "--json", path});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    auto parsed = nlohmann::json::parse(result.out);
    EXPECT_EQ(parsed.at("chat_template").get<std::string>(), expected) << relative;
    auto text = test::run_weft({"inspect", path});
    EXPECT_NE(text.out.find("\nchat template: " + expected + "\n"), std::string::npos) << relative;
  }
  // stories260K is the case that plain completion is for (a base model, no ChatML tokens).
  auto stories = test::run_weft(
      {"inspect", test::shared_path("models/stories260K/stories260K-f32.gguf").string()});
  EXPECT_NE(stories.out.find("chat template: none: plain completion"), std::string::npos)
      << stories.out.substr(0, 400);
}

}  // namespace
}  // namespace weft
