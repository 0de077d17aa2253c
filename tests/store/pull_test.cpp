// `weft pull`'s network path (libcurl) against the fake Hugging Face and Ollama registry.
#include "store/pull.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "store/fake_model_sources.hpp"
#include "store/model_store.hpp"
#include "weft/error.hpp"

namespace weft::store {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures = fs::path(WEFT_SHARED_DIR) / "fixtures" / "llama";

// Sets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class PullTest : public ::testing::Test {
 protected:
  PullTest()
      : sources_("test-org", "tiny-llama-GGUF",
                 {{"tiny-llama-Q4_K_M.gguf", kFixtures / "llama-q4_k_m.gguf"},
                  {"tiny-llama-Q8_0.gguf", kFixtures / "llama-q8_0.gguf"}}),
        root_(fs::temp_directory_path() /
              ("weft-pull-test-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        hf_endpoint_("HF_ENDPOINT", sources_.url()),
        registry_("WEFT_OLLAMA_REGISTRY", sources_.url()),
        token_("HF_TOKEN", "") {
    fs::remove_all(root_);
  }
  ~PullTest() override { fs::remove_all(root_); }

  PullResult pull(const std::string& text) {
    const auto name = parse_model_name(text);
    EXPECT_TRUE(name) << text;
    return pull_model(ModelStore(root_.string()), *name, nullptr);
  }

  // Every file under the store's blobs folder.
  std::vector<std::string> blob_files() const {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(root_ / "blobs", error)) {
      names.push_back(item.path().filename().string());
    }
    return names;
  }

  test::FakeModelSources sources_;
  fs::path root_;
  ScopedEnv hf_endpoint_, registry_, token_;
};

TEST_F(PullTest, HuggingFaceDefaultQuantFollowsTheRedirect) {
  const auto result = pull("hf.co/test-org/tiny-llama-GGUF");
  EXPECT_TRUE(result.downloaded);
  const std::string expected = test::sha256sum(kFixtures / "llama-q4_k_m.gguf");
  EXPECT_EQ(result.entry.path, (root_ / "blobs" / ("sha256-" + expected)).string());
  EXPECT_EQ(test::sha256sum(result.entry.path), expected);
  EXPECT_EQ(result.entry.name, "hf.co/test-org/tiny-llama-GGUF:latest");
  EXPECT_TRUE(fs::is_regular_file(root_ / "manifests/hf.co/test-org/tiny-llama-GGUF/latest"));
}

TEST_F(PullTest, HuggingFaceQuantTagIsCaseInsensitiveAndFileFormWorks) {
  const auto by_tag = pull("hf.co/test-org/tiny-llama-GGUF:q8_0");
  EXPECT_EQ(test::sha256sum(by_tag.entry.path), test::sha256sum(kFixtures / "llama-q8_0.gguf"));
  const auto by_file = pull("test-org/tiny-llama-GGUF/tiny-llama-Q8_0.gguf");
  EXPECT_EQ(by_file.entry.path, by_tag.entry.path);
  EXPECT_FALSE(by_file.downloaded);  // the store had the blob
  EXPECT_EQ(sources_.blob_requests(), 1);
}

TEST_F(PullTest, HuggingFaceUnknownQuantNamesTheFilesThereAre) {
  try {
    pull("hf.co/test-org/tiny-llama-GGUF:Q2_K");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("tiny-llama-Q8_0.gguf"), std::string::npos)
        << error.what();
  }
}

TEST_F(PullTest, OllamaRegistryManifestAndBlob) {
  const auto result = pull("tiny-llama-Q8_0");
  EXPECT_EQ(test::sha256sum(result.entry.path), test::sha256sum(kFixtures / "llama-q8_0.gguf"));
  EXPECT_EQ(result.entry.name, "tiny-llama-Q8_0:latest");
  ASSERT_EQ(sources_.accept_headers().size(), 1u);
  EXPECT_EQ(sources_.accept_headers()[0], "application/vnd.docker.distribution.manifest.v2+json");
  // The template layer's metadata is kept in the manifest.
  const auto manifest =
      ModelStore(root_.string()).read_manifest(*parse_model_name("tiny-llama-Q8_0"));
  ASSERT_TRUE(manifest);
  EXPECT_NE(manifest->extra_json.find("application/vnd.ollama.image.template"), std::string::npos);
}

TEST_F(PullTest, WrongDigestIsRefusedAndNothingIsLeftBehind) {
  sources_.change([&](auto& behaviour) { behaviour.wrong_digest = true; });
  for (const char* name : {"hf.co/test-org/tiny-llama-GGUF:Q8_0", "tiny-llama-Q8_0"}) {
    try {
      pull(name);
      FAIL() << "expected an error for " << name;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("refused"), std::string::npos) << error.what();
    }
    EXPECT_TRUE(blob_files().empty()) << name;
    EXPECT_TRUE(ModelStore(root_.string()).list().empty()) << name;
  }
}

TEST_F(PullTest, InterruptedTransferResumesWithARange) {
  const fs::path file = kFixtures / "llama-q8_0.gguf";
  const size_t cut = 500000;
  sources_.change([&](auto& behaviour) { behaviour.cut_after = cut; });
  EXPECT_THROW(pull("hf.co/test-org/tiny-llama-GGUF:Q8_0"), Error);
  const std::string expected = test::sha256sum(file);
  const fs::path partial = root_ / "blobs" / ("sha256-" + expected + ".partial");
  ASSERT_TRUE(fs::exists(partial));
  EXPECT_EQ(fs::file_size(partial), cut);
  EXPECT_TRUE(ModelStore(root_.string()).list().empty());

  sources_.change([&](auto& behaviour) { behaviour.cut_after = 0; });
  const auto result = pull("hf.co/test-org/tiny-llama-GGUF:Q8_0");
  EXPECT_EQ(result.resumed_from, cut);
  ASSERT_EQ(sources_.ranges().size(), 2u);
  EXPECT_EQ(sources_.ranges()[0], "");
  EXPECT_EQ(sources_.ranges()[1], "bytes=" + std::to_string(cut) + "-");
  EXPECT_EQ(test::sha256sum(result.entry.path), expected);
  EXPECT_FALSE(fs::exists(partial));
}

TEST_F(PullTest, AServerThatIgnoresTheRangeRestartsTheFile) {
  sources_.change([&](auto& behaviour) { behaviour.cut_after = 300000; });
  EXPECT_THROW(pull("tiny-llama-Q8_0"), Error);
  sources_.change([&](auto& behaviour) { behaviour.cut_after = 0; });
  sources_.change([&](auto& behaviour) { behaviour.ignore_ranges = true; });
  const auto result = pull("tiny-llama-Q8_0");
  EXPECT_EQ(result.resumed_from, 0u);
  EXPECT_EQ(sources_.ranges().back(), "bytes=300000-");
  EXPECT_EQ(test::sha256sum(result.entry.path), test::sha256sum(kFixtures / "llama-q8_0.gguf"));
}

TEST_F(PullTest, UnauthorisedMentionsHfTokenAndATokenIsSent) {
  sources_.change([&](auto& behaviour) { behaviour.required_token = "secret"; });
  try {
    pull("hf.co/test-org/tiny-llama-GGUF:Q8_0");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("HF_TOKEN"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("401"), std::string::npos) << error.what();
  }
  ScopedEnv token("HF_TOKEN", "secret");
  EXPECT_TRUE(pull("hf.co/test-org/tiny-llama-GGUF:Q8_0").downloaded);
}

TEST_F(PullTest, NotFoundSaysWhereItLooked) {
  try {
    pull("hf.co/test-org/no-such-repo");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("not found"), std::string::npos) << message;
    EXPECT_NE(message.find(sources_.url() + "/api/models/test-org/no-such-repo/tree/main"),
              std::string::npos)
        << message;
  }
  try {
    pull("no-such-model:7b");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("no-such-model:7b"), std::string::npos) << message;
    EXPECT_NE(message.find(sources_.url() + "/v2/library/no-such-model/manifests/7b"),
              std::string::npos)
        << message;
  }
}

TEST(FreeSpace, TooLittleRoomIsRefusedBeforeDownloading) {
  EXPECT_NO_THROW(require_free_space(fs::temp_directory_path().string(), 1));
  EXPECT_THROW(require_free_space(fs::temp_directory_path().string(), uint64_t{1} << 62), Error);
}

}  // namespace
}  // namespace weft::store
