// The tokens that end generation include the marker each shared chat template ends a turn
// with, with the ids that real vocabularies give those markers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "gguf/gguf_file.hpp"
#include "support/shared_files.hpp"
#include "tokenizer/hf_import.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab.hpp"

namespace {

namespace fs = std::filesystem;

// What each shared template writes at the end of a turn, read off the template files. An
// empty marker: the template ends turns with eos_token, which is EOS.
const std::map<std::string, std::vector<std::string>> kTurnEnds = {
    {"CohereForAI-c4ai-command-r-plus-tool_use", {"<|END_OF_TURN_TOKEN|>"}},
    {"CohereForAI-c4ai-command-r7b-12-2024-tool_use", {"<|END_OF_TURN_TOKEN|>"}},
    {"HuggingFaceTB-SmolLM2-135M-Instruct", {"<|im_end|>"}},
    {"NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use", {"<|im_end|>"}},
    {"NousResearch-Hermes-3-Llama-3.1-8B-tool_use", {"<|im_end|>"}},
    {"Qwen-Qwen2.5-7B-Instruct", {"<|im_end|>"}},
    {"deepseek-ai-DeepSeek-R1-Distill-Llama-8B",
     {"<\xEF\xBD\x9C"
      "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"}},
    {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B",
     {"<\xEF\xBD\x9C"
      "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"}},
    {"llama-cpp-deepseek-r1",
     {"<\xEF\xBD\x9C"
      "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"}},
    {"google-gemma-2-2b-it", {"<end_of_turn>"}},
    {"meetkai-functionary-medium-v3.1", {"<|eot_id|>", "<|eom_id|>"}},
    {"meetkai-functionary-medium-v3.2", {"<|eot_id|>"}},
    {"meta-llama-Llama-3.1-8B-Instruct", {"<|eot_id|>", "<|eom_id|>"}},
    {"meta-llama-Llama-3.2-3B-Instruct", {"<|eot_id|>"}},
    {"meta-llama-Llama-3.3-70B-Instruct", {"<|eot_id|>", "<|eom_id|>"}},
    {"microsoft-Phi-3.5-mini-instruct", {"<|end|>"}},
    {"mistralai-Mistral-Nemo-Instruct-2407", {}},
};

TEST(EndOfTurn, EveryMarkerASharedTemplateEndsTurnsWithEndsGeneration) {
  const fs::path directory = weft::test::shared_path("models/chat-templates");
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().extension() == ".jinja") names.insert(entry.path().stem().string());
  }
  std::set<std::string> listed;
  for (const auto& [name, markers] : kTurnEnds) listed.insert(name);
  // A new shared template must be added to the table above.
  EXPECT_EQ(names, listed);
  for (const auto& [name, markers] : kTurnEnds) {
    SCOPED_TRACE(name);
    const std::string source = weft::test::read_text_file(directory / (name + ".jinja"));
    for (const auto& marker : markers) {
      EXPECT_NE(source.find(marker), std::string::npos) << marker;
      EXPECT_TRUE(weft::tokenizer::is_end_of_turn_text(marker)) << marker;
    }
    if (markers.empty()) {
      EXPECT_NE(source.find("eos_token"), std::string::npos);
    }
  }
  EXPECT_FALSE(weft::tokenizer::is_end_of_turn_text("<|im_start|>"));
  EXPECT_FALSE(weft::tokenizer::is_end_of_turn_text("<|start_header_id|>"));
}

TEST(EndOfTurn, SmolLm2TokenizerJsonStopsAtImEnd) {
  const fs::path path = weft::test::shared_path("models/smollm2-tokenizer/tokenizer.json");
  // The ids as tokenizer.json itself gives them.
  const auto root = nlohmann::json::parse(weft::test::read_text_file(path));
  std::map<std::string, int> added;
  for (const auto& token : root.at("added_tokens"))
    added[token.at("content").get<std::string>()] = token.at("id").get<int>();
  ASSERT_TRUE(added.count("<|im_end|>"));
  ASSERT_TRUE(added.count("<|im_start|>"));
  auto tokenizer = weft::tokenizer::tokenizer_from_metadata(
      weft::tokenizer::hf_tokenizer_metadata_from_file(path));
  EXPECT_TRUE(tokenizer->is_end_of_generation(added.at("<|im_end|>")));
  EXPECT_FALSE(tokenizer->is_end_of_generation(added.at("<|im_start|>")));
  const auto hello = tokenizer->encode("hello");
  ASSERT_EQ(hello.size(), 1u);
  EXPECT_FALSE(tokenizer->is_end_of_generation(hello.front()));
}

TEST(EndOfTurn, Phi3VocabularyStopsAtEnd) {
  auto file = weft::gguf::GgufFile::open(
      weft::test::shared_path("models/vocab/ggml-vocab-phi-3.gguf").string());
  // The ids as the GGUF's token list gives them.
  const auto pieces = file->get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(pieces);
  auto id_of = [&](const std::string& piece) {
    for (size_t id = 0; id < pieces->size(); ++id) {
      if ((*pieces)[id] == piece) return static_cast<weft::tokenizer::TokenId>(id);
    }
    ADD_FAILURE() << piece << " is not in the vocabulary";
    return weft::tokenizer::TokenId{-1};
  };
  auto tokenizer = weft::tokenizer::Tokenizer::from_gguf(*file);
  EXPECT_TRUE(tokenizer->is_end_of_generation(id_of("<|end|>")));
  EXPECT_TRUE(tokenizer->is_end_of_generation(id_of("<|endoftext|>")));
  EXPECT_FALSE(tokenizer->is_end_of_generation(id_of("<|assistant|>")));
  EXPECT_FALSE(tokenizer->is_end_of_generation(id_of("<|user|>")));
}

}  // namespace
