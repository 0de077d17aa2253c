// The engine's stdio loop on a pair of pipes: lines cut anywhere, an overlong line, the end
// of input.
#include "engine/stdio_engine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace weft::engine {
namespace {

using nlohmann::json;

struct Pipes {
  int input[2];
  int output[2];
  Pipes() {
    EXPECT_EQ(pipe(input), 0);
    EXPECT_EQ(pipe(output), 0);
  }
};

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) text.append(buffer, n);
  return text;
}

void write_all(int fd, const std::string& bytes) {
  for (size_t written = 0; written < bytes.size();) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    ASSERT_GT(n, 0);
    written += static_cast<size_t>(n);
  }
}

// Runs the engine on the stub backend with `pieces` written one by one, then end of input;
// returns the lines it wrote.
std::vector<json> run_with(const std::vector<std::string>& pieces) {
  Pipes pipes;
  StdioEngineOptions options;
  options.backend = "stub";
  options.model = std::string(WEFT_SOURCE_DIR) + "/assets/stories260K-f32.gguf";
  auto engine = std::async(std::launch::async, [&] {
    const int status = run_stdio_engine(options, pipes.input[0], pipes.output[1]);
    close(pipes.output[1]);
    return status;
  });
  auto output = std::async(std::launch::async, [&] { return read_all(pipes.output[0]); });
  for (const auto& piece : pieces) {
    write_all(pipes.input[1], piece);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  close(pipes.input[1]);
  EXPECT_EQ(engine.get(), 0);
  std::vector<json> lines;
  std::istringstream stream(output.get());
  for (std::string line; std::getline(stream, line);) lines.push_back(json::parse(line));
  close(pipes.input[0]);
  close(pipes.output[0]);
  return lines;
}

const std::string kGenerate =
    R"({"v":1,"type":"generate","id":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":3})"
    "\n";

TEST(StdioEngine, ServesLinesCutAnywhereAndFinishesAtTheEndOfInput) {
  std::vector<std::string> pieces;
  for (char c : kGenerate) pieces.emplace_back(1, c);
  auto lines = run_with(pieces);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front()["type"], "log");  // the model loaded
  EXPECT_EQ(lines.back()["type"], "done");
  EXPECT_EQ(lines.back()["reason"], "length");
}

TEST(StdioEngine, DropsAnOverlongLineAndGoesOnWithTheNext) {
  const std::string overlong(17 * 1024 * 1024, 'x');
  auto lines = run_with({overlong, "still the same line\n", kGenerate});
  bool saw_error = false;
  for (const auto& line : lines) {
    if (line["type"] == "error") {
      saw_error = true;
      EXPECT_FALSE(line.contains("id"));
      EXPECT_NE(line["message"].get<std::string>().find("longer than"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_error);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["type"], "done");
}

TEST(StdioEngine, ShutdownEndsTheLoopWithStatusZero) {
  auto lines = run_with({R"({"v":1,"type":"shutdown"})"
                         "\n" +
                         kGenerate});
  for (const auto& line : lines) EXPECT_NE(line["type"], "meta") << "served after shutdown";
}

}  // namespace
}  // namespace weft::engine
