#include "store/model_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "http/model_catalog.hpp"
#include "store/model_resolver.hpp"
#include "weft/error.hpp"

namespace weft::store {
namespace {

namespace fs = std::filesystem;

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

class ModelStoreTest : public ::testing::Test {
 protected:
  ModelStoreTest()
      : root_(fs::temp_directory_path() /
              ("weft-store-test-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        store_(root_.string()) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "blobs");
  }
  ~ModelStoreTest() override { fs::remove_all(root_); }

  void add(const std::string& text, const std::string& digest, const std::string& bytes) {
    std::ofstream(store_.blob_path(digest), std::ios::binary) << bytes;
    Manifest manifest;
    manifest.name = parse_model_name(text)->display();
    manifest.source = "ollama";
    manifest.digest = digest;
    manifest.size = bytes.size();
    store_.write_manifest(*parse_model_name(text), manifest);
  }

  fs::path root_;
  ModelStore store_;
};

TEST_F(ModelStoreTest, ListsNamesThenPlainFiles) {
  add("zeta", kDigestA, "aaaa");
  add("hf.co/org/repo:Q8_0", kDigestB, "bbbbbb");
  std::ofstream(root_ / "dropped.gguf") << "cc";
  std::ofstream(root_ / "notes.txt") << "not a model";
  const auto entries = store_.list();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "hf.co/org/repo:Q8_0");
  EXPECT_EQ(entries[0].size, 6u);
  EXPECT_EQ(entries[1].name, "zeta:latest");
  EXPECT_EQ(entries[2].name, "dropped");
  EXPECT_TRUE(entries[2].plain_file);
  EXPECT_EQ(store_.find("zeta")->path, store_.blob_path(kDigestA));
  EXPECT_EQ(store_.find("dropped.gguf")->path, (root_ / "dropped.gguf").string());
  EXPECT_FALSE(store_.find("absent"));
}

TEST_F(ModelStoreTest, RemoveKeepsABlobAnotherNameUses) {
  add("first", kDigestA, "aaaa");
  add("second:v1", kDigestA, "aaaa");
  EXPECT_FALSE(store_.remove("first"));  // "second:v1" still uses the blob
  EXPECT_TRUE(fs::exists(store_.blob_path(kDigestA)));
  EXPECT_TRUE(store_.remove("second:v1"));
  EXPECT_FALSE(fs::exists(store_.blob_path(kDigestA)));
  EXPECT_TRUE(store_.list().empty());
  EXPECT_THROW(store_.remove("first"), Error);
}

TEST_F(ModelStoreTest, ResolvesNamesWithoutPulling) {
  add("tiny", kDigestA, "aaaa");
  ResolveOptions local_only;
  local_only.store_root = root_.string();
  local_only.pull = false;
  EXPECT_EQ(resolve_model_path("tiny:latest", local_only), store_.blob_path(kDigestA));
  EXPECT_THROW(resolve_model_path("other", local_only), Error);
  local_only.pull = true;
  EXPECT_THROW(resolve_model_path("/nonexistent/x.gguf", local_only), Error);
  EXPECT_EQ(display_name_of(store_.blob_path(kDigestA), root_.string()), "tiny:latest");
}

TEST_F(ModelStoreTest, TheHttpCatalogListsStoreNames) {
  add("tiny", kDigestA, "aaaa");
  add("hf.co/org/repo:Q8_0", kDigestB, "bb");
  std::ofstream(root_ / "dropped.gguf") << "cc";
  http::ModelCatalog catalog(store_.blob_path(kDigestA), root_.string());
  EXPECT_EQ(catalog.served_name(""), "tiny");
  const auto models = catalog.list("");
  ASSERT_EQ(models.size(), 3u);
  EXPECT_EQ(models[0].name, "tiny");
  EXPECT_EQ(models[1].name, "hf.co/org/repo:Q8_0");
  EXPECT_EQ(models[2].name, "dropped");
  ASSERT_TRUE(catalog.find("hf.co/org/repo:Q8_0", ""));
  EXPECT_EQ(catalog.find("hf.co/org/repo:Q8_0", "")->path, store_.blob_path(kDigestB));
  EXPECT_TRUE(catalog.find("tiny:latest", ""));
}

TEST(ModelStoreRoot, WeftModelsWinsOverWeftModelsDir) {
  const char* old_models = std::getenv("WEFT_MODELS");
  const char* old_dir = std::getenv("WEFT_MODELS_DIR");
  const std::string saved_models = old_models ? old_models : "";
  const std::string saved_dir = old_dir ? old_dir : "";
  ::setenv("WEFT_MODELS", "/a", 1);
  ::setenv("WEFT_MODELS_DIR", "/b", 1);
  EXPECT_EQ(ModelStore::default_root(), "/a");
  ::unsetenv("WEFT_MODELS");
  EXPECT_EQ(ModelStore::default_root(), "/b");
  if (old_models) ::setenv("WEFT_MODELS", saved_models.c_str(), 1);
  if (old_dir) {
    ::setenv("WEFT_MODELS_DIR", saved_dir.c_str(), 1);
  } else {
    ::unsetenv("WEFT_MODELS_DIR");
  }
}

}  // namespace
}  // namespace weft::store
