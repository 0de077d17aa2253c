// `weft run --backend ollama|openai` as a user runs it: against an in-process fake server,
// and with nothing listening (one clear error line, non-zero exit); and how `weft run`
// without --backend chooses between a reachable Ollama and the bundled model.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/fake_http_server.hpp"
#include "support/run_weft.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

using nlohmann::json;

// Runs the weft binary with `environment` ("NAME=value ...") and `arguments` (already quoted).
test::WeftResult run_weft_command(const std::string& environment, const std::string& arguments) {
  auto dir = std::filesystem::temp_directory_path() /
             ("weft-cli-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  std::string command = "env -u WEFT_BACKEND -u WEFT_ENGINE_BIN " + environment + " '" +
                        WEFT_BINARY + "' " + arguments + " >'" + (dir / "out").string() + "' 2>'" +
                        (dir / "err").string() + "'";
  int status = std::system(command.c_str());
  test::WeftResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = test::read_text_file(dir / "out");
  result.err = test::read_text_file(dir / "err");
  std::filesystem::remove_all(dir);
  return result;
}

size_t count_lines(const std::string& text) {
  return std::count(text.begin(), text.end(), '\n');
}

std::string nobody_listening() {
  return "http://127.0.0.1:" + std::to_string(test::unused_local_port());
}

TEST(RemoteBackendCli, OllamaWithNothingListeningIsOneErrorLine) {
  std::string url = nobody_listening();
  auto result = run_weft_command("OLLAMA_HOST=" + url, "run --backend ollama hi");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(count_lines(result.err), 1u) << result.err;
  EXPECT_EQ(result.err.rfind("weft: error: ", 0), 0u) << result.err;
  EXPECT_NE(result.err.find("ollama"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(url), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(RemoteBackendCli, OpenAiWithNothingListeningIsOneErrorLine) {
  std::string url = nobody_listening();
  auto result = run_weft_command("WEFT_OPENAI_BASE_URL=" + url, "run --backend openai hi");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(count_lines(result.err), 1u) << result.err;
  EXPECT_EQ(result.err.rfind("weft: error: ", 0), 0u) << result.err;
  EXPECT_NE(result.err.find("openai"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(url), std::string::npos) << result.err;
}

TEST(RemoteBackendCli, OllamaAnswerIsStreamedToStdout) {
  const std::vector<std::string> tokens = {"Hello", " from", " fake", " Ollama"};
  test::FakeHttpServer server;
  server.routes().Get("/api/tags", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"models":[{"name":"tiny:latest"}]})", "application/json");
  });
  server.routes().Post("/api/show", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"details":{"family":"llama"}})", "application/json");
  });
  server.routes().Post("/api/chat", [&](const httplib::Request&, httplib::Response& response) {
    std::vector<std::string> lines;
    for (const auto& token : tokens) {
      lines.push_back(
          json{{"message", {{"role", "assistant"}, {"content", token}}}, {"done", false}}.dump() +
          "\n");
    }
    lines.push_back(
        json{{"done", true}, {"done_reason", "stop"}, {"eval_count", tokens.size()}}.dump() + "\n");
    test::respond_in_pieces(response, "application/x-ndjson", lines);
  });
  server.start();
  auto result = run_weft_command("OLLAMA_HOST=" + server.base_url(), "run --backend ollama hi");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::string expected;
  for (const auto& token : tokens) expected += token;
  EXPECT_EQ(result.out, expected + "\n");
}

TEST(RemoteBackendCli, OpenAiErrorFromTheServerIsOneLineWithItsMessage) {
  const std::string message = "The model `nope` does not exist.";
  test::FakeHttpServer server;
  server.routes().Get("/v1/models", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"object":"list","data":[{"id":"m"}]})", "application/json");
  });
  server.routes().Post("/v1/chat/completions", [&](const httplib::Request&,
                                                   httplib::Response& response) {
    response.status = 404;
    response.set_content(
        json{{"error", {{"message", message}, {"type", "NotFoundError"}, {"code", 404}}}}.dump(),
        "application/json");
  });
  server.start();
  auto result = run_weft_command("WEFT_OPENAI_BASE_URL=" + server.base_url(),
                                 "run --backend openai --model nope hi");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(count_lines(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("404"), std::string::npos) << result.err;
}

// A fake Ollama that has one model and answers every chat with `kOllamaAnswer`; it records the
// model names that loading (/api/show) and generating (/api/chat) asked for.
constexpr const char* kOllamaModel = "tiny:latest";
constexpr const char* kOllamaAnswer = "Hello from fake Ollama";

class RecordingOllama {
 public:
  RecordingOllama() {
    server_.routes().Get("/api/tags", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(json{{"models", {{{"name", kOllamaModel}}}}}.dump(), "application/json");
    });
    server_.routes().Post(
        "/api/show", [this](const httplib::Request& request, httplib::Response& response) {
          record(request);
          response.set_content(R"({"details":{"family":"llama"}})", "application/json");
        });
    server_.routes().Post("/api/chat", [this](const httplib::Request& request,
                                              httplib::Response& response) {
      record(request);
      response.set_content(
          json{{"message", {{"role", "assistant"}, {"content", kOllamaAnswer}}}, {"done", false}}
                  .dump() +
              "\n" + json{{"done", true}, {"done_reason", "stop"}, {"eval_count", 4}}.dump() + "\n",
          "application/x-ndjson");
    });
    server_.start();
  }

  std::string url() const { return server_.base_url(); }
  std::vector<std::string> requested_models() const {
    std::lock_guard lock(mutex_);
    return models_;
  }

 private:
  void record(const httplib::Request& request) {
    auto body = json::parse(request.body, nullptr, false);
    std::lock_guard lock(mutex_);
    models_.push_back(body.is_object() && body.contains("model") ? body["model"].dump() : "?");
  }

  test::FakeHttpServer server_;
  mutable std::mutex mutex_;
  std::vector<std::string> models_;
};

const std::string kQuotedOllamaModel = json(kOllamaModel).dump();

// WEFT_BACKEND=ollama without --model: the server's own model, never the bundled file's path.
TEST(RemoteBackendCli, OllamaChosenByEnvironmentGetsTheServersModelName) {
  RecordingOllama ollama;
  auto result = run_weft_command("WEFT_BACKEND=ollama OLLAMA_HOST=" + ollama.url(), "run hello");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, std::string(kOllamaAnswer) + "\n");
  EXPECT_EQ(ollama.requested_models(),
            (std::vector<std::string>{kQuotedOllamaModel, kQuotedOllamaModel}));
}

TEST(RemoteBackendCli, ChatWithOllamaChosenByEnvironmentGetsTheServersModelName) {
  RecordingOllama ollama;
  auto result =
      run_weft_command("WEFT_BACKEND=ollama OLLAMA_HOST=" + ollama.url(), "chat </dev/null");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  ASSERT_FALSE(ollama.requested_models().empty());
  EXPECT_EQ(ollama.requested_models().front(), kQuotedOllamaModel);
}

// Without --backend and --model a reachable Ollama comes before the bundled model.
TEST(RemoteBackendCli, PlainRunGoesToAReachableOllama) {
  RecordingOllama ollama;
  auto result = run_weft_command("OLLAMA_HOST=" + ollama.url(), "run hello");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, std::string(kOllamaAnswer) + "\n");
  EXPECT_EQ(ollama.requested_models(),
            (std::vector<std::string>{kQuotedOllamaModel, kQuotedOllamaModel}));

  auto listing = run_weft_command("OLLAMA_HOST=" + ollama.url(), "backends");
  EXPECT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_NE(listing.out.find("uses: ollama"), std::string::npos) << listing.out;
}

// With no Ollama answering, the last step runs the bundled model on the native engine: the
// same text as naming that file and its context explicitly.
TEST(RemoteBackendCli, PlainRunWithoutOllamaRunsTheBundledModel) {
  const std::string model = std::string(WEFT_SOURCE_DIR) + "/assets/stories260K-f32.gguf";
  const std::string generation = "-n 12 --temperature 0 -t 1 'Once upon a time'";
  const std::string no_ollama = "OLLAMA_HOST=" + nobody_listening();
  auto plain = run_weft_command(no_ollama, "run " + generation);
  auto explicit_run = run_weft_command(
      no_ollama, "run --backend native --model '" + model + "' --ctx 512 " + generation);
  ASSERT_EQ(explicit_run.exit_code, 0) << explicit_run.err;
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, explicit_run.out);
  EXPECT_GT(plain.out.size(), 1u);

  auto listing = run_weft_command(no_ollama, "backends");
  EXPECT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_NE(listing.out.find("uses: native"), std::string::npos) << listing.out;
  EXPECT_NE(listing.out.find("stories260K-f32.gguf"), std::string::npos) << listing.out;
}

// `--backend native` (or WEFT_BACKEND=native) without a model also runs the bundled model;
// `--backend stub` stays the stub.
TEST(RemoteBackendCli, NativeWithoutAModelRunsTheBundledModelAndStubStaysAvailable) {
  const std::string no_ollama = "OLLAMA_HOST=" + nobody_listening();
  auto native = run_weft_command("WEFT_BACKEND=native " + no_ollama, "run -n 4 --temperature 0 hi");
  EXPECT_EQ(native.exit_code, 0) << native.err;
  auto stub = run_weft_command("WEFT_STUB_DELAY_MS=0 " + no_ollama, "run --backend stub -n 50 hi");
  EXPECT_EQ(stub.exit_code, 0) << stub.err;
  EXPECT_NE(stub.out.find("stub"), std::string::npos) << stub.out;
  EXPECT_EQ(native.out.find("stub"), std::string::npos) << native.out;
}

}  // namespace
}  // namespace weft
