// `weft run --backend ollama|openai` as a user runs it: against an in-process fake server,
// and with nothing listening (one clear error line, non-zero exit).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/fake_http_server.hpp"

namespace weft {
namespace {

using nlohmann::json;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs the weft binary with `environment` ("NAME=value ...") and `arguments` (already quoted).
CommandResult run_weft(const std::string& environment, const std::string& arguments) {
  auto dir = std::filesystem::temp_directory_path() /
             ("weft-cli-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  std::string command = "env -u WEFT_BACKEND " + environment + " '" + WEFT_BINARY + "' " +
                        arguments + " >'" + (dir / "out").string() + "' 2>'" +
                        (dir / "err").string() + "'";
  int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(dir / "out");
  result.err = read_file(dir / "err");
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
  auto result = run_weft("OLLAMA_HOST=" + url, "run --backend ollama hi");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(count_lines(result.err), 1u) << result.err;
  EXPECT_EQ(result.err.rfind("weft: error: ", 0), 0u) << result.err;
  EXPECT_NE(result.err.find("ollama"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(url), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(RemoteBackendCli, OpenAiWithNothingListeningIsOneErrorLine) {
  std::string url = nobody_listening();
  auto result = run_weft("WEFT_OPENAI_BASE_URL=" + url, "run --backend openai hi");
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
  auto result = run_weft("OLLAMA_HOST=" + server.base_url(), "run --backend ollama hi");
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
  auto result =
      run_weft("WEFT_OPENAI_BASE_URL=" + server.base_url(), "run --backend openai --model nope hi");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(count_lines(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("404"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace weft
