// `weft pull`, `list`, `show`, `rm` and a first `weft run hf.co/…` that pulls, as a user
// types them, against the fake Hugging Face and Ollama registry (tests/store).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "store/fake_model_sources.hpp"
#include "support/daemon_process.hpp"

#include <nlohmann/json.hpp>

namespace weft {
namespace {

namespace fs = std::filesystem;

const fs::path kStoriesF32 =
    fs::path(WEFT_SHARED_DIR) / "models" / "stories260K" / "stories260K-f32.gguf";
const fs::path kStoriesF16 =
    fs::path(WEFT_SHARED_DIR) / "models" / "stories260K" / "stories260K-f16.gguf";
constexpr const char* kName = "hf.co/test-org/stories-GGUF:F32";

class ModelStoreCli : public ::testing::Test {
 protected:
  ModelStoreCli()
      : sources_("test-org", "stories-GGUF",
                 {{"stories260K-F32.gguf", kStoriesF32}, {"stories260K-F16.gguf", kStoriesF16}}) {}

  testing::CommandResult weft(const std::vector<std::string>& args) {
    return testing::run_weft(args, {{"WEFT_MODELS", store_.path()},
                                    {"HF_ENDPOINT", sources_.url()},
                                    {"WEFT_OLLAMA_REGISTRY", sources_.url()},
                                    {"HF_TOKEN", ""},
                                    {"WEFT_BACKEND", ""},
                                    {"WEFT_ENGINE_BIN", ""}});
  }

  test::FakeModelSources sources_;
  testing::TempDir store_;
};

TEST_F(ModelStoreCli, PullListShowRemove) {
  const auto pulled = weft({"pull", kName});
  ASSERT_EQ(pulled.status, 0) << pulled.errors;
  const std::string digest = test::sha256sum(kStoriesF32);
  const std::string blob = store_.path() + "/blobs/sha256-" + digest;
  EXPECT_NE(pulled.output.find(kName), std::string::npos) << pulled.output;
  EXPECT_NE(pulled.output.find(blob), std::string::npos) << pulled.output;
  EXPECT_EQ(test::sha256sum(blob), digest);
  // Not a terminal: plain lines, no carriage returns or escape sequences.
  EXPECT_NE(pulled.errors.find("stories260K-F32.gguf 100% 1.2 MB / 1.2 MB"), std::string::npos)
      << pulled.errors;
  EXPECT_EQ(pulled.errors.find('\r'), std::string::npos);
  EXPECT_NE(pulled.errors.find("verified sha256 " + digest), std::string::npos) << pulled.errors;

  const auto listed = weft({"list"});
  ASSERT_EQ(listed.status, 0) << listed.errors;
  EXPECT_NE(listed.output.find(kName), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("F32"), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("1.2 MB"), std::string::npos) << listed.output;

  const auto shown = weft({"show", kName});
  ASSERT_EQ(shown.status, 0) << shown.errors;
  EXPECT_NE(shown.output.find("architecture     llama"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("parameters"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("chat template    no"), std::string::npos) << shown.output;

  const auto removed = weft({"rm", kName});
  ASSERT_EQ(removed.status, 0) << removed.errors;
  EXPECT_FALSE(fs::exists(blob));
  EXPECT_EQ(weft({"list"}).output.find(kName), std::string::npos);
  const auto again = weft({"rm", kName});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.errors.find("not in the store"), std::string::npos) << again.errors;
}

TEST_F(ModelStoreCli, RunPullsOnFirstUseAndAnswersAsTheFileDoes) {
  const std::vector<std::string> generation = {"Once upon a time", "-n", "24", "--temp", "0"};
  std::vector<std::string> by_name = {"run", kName};
  by_name.insert(by_name.end(), generation.begin(), generation.end());
  std::vector<std::string> by_path = {"run", kStoriesF32.string()};
  by_path.insert(by_path.end(), generation.begin(), generation.end());

  const auto first = weft(by_name);
  ASSERT_EQ(first.status, 0) << first.errors;
  EXPECT_NE(first.errors.find("pulling " + std::string(kName)), std::string::npos) << first.errors;
  const auto reference = weft(by_path);
  ASSERT_EQ(reference.status, 0) << reference.errors;
  EXPECT_FALSE(reference.output.empty());
  EXPECT_EQ(first.output, reference.output);

  const auto second = weft(by_name);  // from the store now: no second download
  ASSERT_EQ(second.status, 0) << second.errors;
  EXPECT_EQ(second.errors.find("pulling"), std::string::npos) << second.errors;
  EXPECT_EQ(second.output, reference.output);
  EXPECT_EQ(sources_.blob_requests(), 1);
}

TEST_F(ModelStoreCli, ErrorsAreOneClearLine) {
  const auto missing = weft({"pull", "hf.co/test-org/no-such-repo"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.errors.find("weft: error: repository test-org/no-such-repo was not found"),
            std::string::npos)
      << missing.errors;

  sources_.change([&](auto& behaviour) { behaviour.required_token = "secret"; });
  const auto refused = weft({"pull", kName});
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.errors.find("HF_TOKEN"), std::string::npos) << refused.errors;

  const auto registry_missing = weft({"pull", "nothing-here:1b"});
  EXPECT_EQ(registry_missing.status, 1);
  EXPECT_NE(registry_missing.errors.find("nothing-here:1b' was not found"), std::string::npos)
      << registry_missing.errors;

  const auto not_a_name = weft({"pull", "./local.gguf"});
  EXPECT_EQ(not_a_name.status, 1);
  EXPECT_NE(not_a_name.errors.find("not a name weft can pull"), std::string::npos);
}

TEST_F(ModelStoreCli, OllamaNamesAndPlainFilesWorkInInspect) {
  const auto pulled = weft({"pull", "stories260K-F32"});
  ASSERT_EQ(pulled.status, 0) << pulled.errors;
  EXPECT_NE(pulled.output.find("stories260K-F32:latest"), std::string::npos) << pulled.output;
  fs::copy_file(kStoriesF32, store_.path() + "/dropped.gguf");
  const auto listed = weft({"list"});
  EXPECT_NE(listed.output.find("dropped"), std::string::npos) << listed.output;
  for (const char* name : {"stories260K-F32", "dropped"}) {
    const auto inspected = weft({"inspect", name});
    EXPECT_EQ(inspected.status, 0) << name << ": " << inspected.errors;
    EXPECT_NE(inspected.output.find("llama"), std::string::npos) << inspected.output;
  }
}

TEST_F(ModelStoreCli, ServePullsItsModelAndListsTheStore) {
  ASSERT_EQ(weft({"pull", "stories260K-F16"}).status, 0);  // another model, to be listed
  const uint16_t port = testing::free_tcp_port();
  testing::DaemonProcess::Options options;
  options.args = {"--model", kName, "--http", "127.0.0.1:" + std::to_string(port)};
  options.env = {{"WEFT_MODELS", store_.path()},
                 {"HF_ENDPOINT", sources_.url()},
                 {"HF_TOKEN", ""},
                 {"WEFT_BACKEND", ""}};
  testing::DaemonProcess daemon(options);
  ASSERT_TRUE(daemon.wait_for_log_line({"ready on"})) << daemon.log();

  const auto ps =
      testing::run_weft({"ps", "--socket", daemon.admin_path()}, {{"WEFT_MODELS", store_.path()}});
  ASSERT_EQ(ps.status, 0) << ps.errors;
  EXPECT_NE(ps.output.find(kName), std::string::npos) << ps.output;
  EXPECT_NE(ps.output.find("native"), std::string::npos) << ps.output;
  EXPECT_NE(ps.output.find("until stopped"), std::string::npos) << ps.output;
  EXPECT_NE(ps.output.find(" MB"), std::string::npos) << ps.output;  // the daemon's memory

  httplib::Client http("127.0.0.1", port);
  const auto tags = http.Get("/api/tags");
  ASSERT_TRUE(tags);
  std::vector<std::string> names;
  const auto listed = nlohmann::json::parse(tags->body);
  for (const auto& model : listed["models"]) {
    names.push_back(model["name"].get<std::string>());
  }
  ASSERT_EQ(names.size(), 2u) << tags->body;
  EXPECT_EQ(names[0], kName);  // the served model, under its store name
  EXPECT_EQ(names[1], "stories260K-F16:latest");
  const auto openai = http.Get("/v1/models");
  ASSERT_TRUE(openai);
  EXPECT_NE(openai->body.find(std::string("\"id\":\"") + kName + "\""), std::string::npos)
      << openai->body;
}

}  // namespace
}  // namespace weft
