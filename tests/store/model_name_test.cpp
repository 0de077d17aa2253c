#include "store/model_name.hpp"

#include <gtest/gtest.h>

namespace weft::store {
namespace {

TEST(ModelName, HuggingFaceRepositoryWithAndWithoutQuant) {
  auto name = parse_model_name("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->source, ModelSource::hugging_face);
  EXPECT_EQ(name->space, "bartowski");
  EXPECT_EQ(name->repository, "Llama-3.2-1B-Instruct-GGUF");
  EXPECT_EQ(name->tag, "Q8_0");
  EXPECT_EQ(name->display(), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0");
  EXPECT_EQ(name->manifest_path(), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF/Q8_0");

  auto bare = parse_model_name("huggingface.co/org/repo");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->tag, "latest");
  EXPECT_EQ(bare->display(), "hf.co/org/repo:latest");
}

TEST(ModelName, HuggingFaceFileForm) {
  auto name = parse_model_name("org/repo/model-Q4_K_M.gguf");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->source, ModelSource::hugging_face);
  EXPECT_EQ(name->file, "model-Q4_K_M.gguf");
  EXPECT_EQ(name->display(), "org/repo/model-Q4_K_M.gguf");
  EXPECT_EQ(name->manifest_path(), "hf.co/org/repo/model-Q4_K_M.gguf");
}

TEST(ModelName, OllamaForms) {
  auto bare = parse_model_name("llama3.2");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->source, ModelSource::ollama_registry);
  EXPECT_EQ(bare->host, "registry.ollama.ai");
  EXPECT_EQ(bare->space, "library");
  EXPECT_EQ(bare->tag, "latest");
  EXPECT_EQ(bare->display(), "llama3.2:latest");
  EXPECT_EQ(bare->manifest_path(), "registry.ollama.ai/library/llama3.2/latest");

  auto spaced = parse_model_name("someone/model:7b");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->space, "someone");
  EXPECT_EQ(spaced->display(), "someone/model:7b");

  auto hosted = parse_model_name("127.0.0.1:5000/ns/model:q4");
  ASSERT_TRUE(hosted);
  EXPECT_EQ(hosted->host, "127.0.0.1:5000");
  EXPECT_EQ(hosted->repository, "model");
  EXPECT_EQ(hosted->tag, "q4");
  EXPECT_EQ(hosted->display(), "127.0.0.1:5000/ns/model:q4");
}

TEST(ModelName, PathsAndBadNamesAreNotNames) {
  for (const char* text :
       {"", "./model.gguf", "/models/x.gguf", "model.gguf", "a/b/c/d", "../etc/passwd",
        "x:", "name:..", "hf.co/org", "hf.co/org/../x", "bad name", "a//b", "-x"}) {
    EXPECT_FALSE(parse_model_name(text)) << text;
  }
}

TEST(ModelName, LatestIsTheDefaultTag) {
  EXPECT_TRUE(same_model_name("llama3.2", "llama3.2:latest"));
  EXPECT_TRUE(same_model_name("hf.co/o/r", "huggingface.co/o/r:latest"));
  EXPECT_FALSE(same_model_name("llama3.2", "llama3.2:1b"));
}

}  // namespace
}  // namespace weft::store
