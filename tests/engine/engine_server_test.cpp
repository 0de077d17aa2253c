// weft-engine's command handling on the stub backend: what each command answers, line by line.
#include "engine/engine_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "backend/stub_backend.hpp"
#include "weft/error.hpp"

namespace weft::engine {
namespace {

using nlohmann::json;

// The lines the engine wrote, parsed; waits for them without ever hanging the suite.
class Lines {
 public:
  EngineServer::LineWriter writer() {
    return [this](const std::string& line) {
      EXPECT_EQ(line.back(), '\n');
      std::lock_guard lock(mutex_);
      lines_.push_back(json::parse(line));
      changed_.notify_all();
      return true;
    };
  }

  // The first line after `from` for which `match` holds.
  json wait_for(const std::function<bool(const json&)>& match, size_t from = 0) {
    std::unique_lock lock(mutex_);
    json found;
    changed_.wait_for(lock, std::chrono::seconds(20), [&] {
      for (size_t i = from; i < lines_.size(); ++i) {
        if (match(lines_[i])) {
          found = lines_[i];
          return true;
        }
      }
      return false;
    });
    return found;
  }

  std::vector<json> of(const json& id) {
    std::lock_guard lock(mutex_);
    std::vector<json> out;
    for (const auto& line : lines_) {
      if (line.contains("id") && line["id"] == id) out.push_back(line);
    }
    return out;
  }

  size_t size() {
    std::lock_guard lock(mutex_);
    return lines_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<json> lines_;
};

std::function<bool(const json&)> terminal_of(const json& id) {
  return [id](const json& line) {
    return line.value("id", json()) == id && (line["type"] == "done" || line["type"] == "error");
  };
}

std::function<bool(const json&)> of_type(const std::string& type) {
  return [type](const json& line) { return line["type"] == type; };
}

std::unique_ptr<Backend> stub(std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
  backend::StubConfig config;
  config.text = "one two three four";
  config.token_delay = delay;
  return std::make_unique<backend::StubBackend>(config);
}

std::string some_file() {
  return std::string(WEFT_SOURCE_DIR) + "/assets/stories260K-f32.gguf";
}

std::string generate_frame_line(const std::string& id, const std::string& extra = "") {
  return R"({"v":1,"type":"generate","id":")" + id +
         R"(","messages":[{"role":"user","content":"hello"}])" + extra + "}";
}

TEST(EngineServer, AnnouncesReadyWithoutAModelAndAfterALoad) {
  Lines lines;
  EngineServer server(stub(), {}, lines.writer());
  server.start("");
  EXPECT_EQ(lines.wait_for(of_type("ready")),
            json::parse(R"({"v":1,"type":"ready","model":null})"));
  EXPECT_TRUE(server.handle_line(R"({"v":1,"type":"load","model":")" + some_file() + R"("})"));
  const json ready = lines.wait_for(of_type("ready"), 1);
  EXPECT_EQ(ready["model"], some_file());
}

TEST(EngineServer, StreamsMetaTokensAndDoneWithTheWholeText) {
  Lines lines;
  EngineServer server(stub(), {}, lines.writer());
  server.start(some_file());
  server.handle_line(generate_frame_line("g"));
  lines.wait_for(terminal_of("g"));
  auto events = lines.of("g");
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front()["type"], "meta");
  EXPECT_EQ(events.front()["model"], some_file());
  std::string streamed;
  for (size_t i = 1; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i]["type"], "token");
    streamed += events[i]["text"].get<std::string>();
  }
  EXPECT_EQ(streamed, "one two three four");
  EXPECT_EQ(events.back()["type"], "done");
  EXPECT_EQ(events.back()["reason"], "stop");
  EXPECT_EQ(events.back()["text"], streamed);
}

TEST(EngineServer, MaxTokensEndsWithLength) {
  Lines lines;
  EngineServer server(stub(), {}, lines.writer());
  server.start(some_file());
  server.handle_line(generate_frame_line("g", R"(,"max_tokens":2)"));
  const json done = lines.wait_for(terminal_of("g"));
  EXPECT_EQ(done["reason"], "length");
  EXPECT_EQ(done["text"], "one two");
}

TEST(EngineServer, CancelEndsOneGenerationAndLeavesTheOther) {
  Lines lines;
  EngineServer server(stub(std::chrono::milliseconds(50)), {}, lines.writer());
  server.start(some_file());
  server.handle_line(generate_frame_line("keep"));
  server.handle_line(
      R"({"v":1,"type":"generate","id":7,"messages":[{"role":"user","content":"x"}]})");
  server.handle_line(R"({"v":1,"type":"cancel","id":7})");
  EXPECT_EQ(lines.wait_for(terminal_of(7))["reason"], "cancel");
  const json kept = lines.wait_for(terminal_of("keep"));
  EXPECT_EQ(kept["reason"], "stop");
  EXPECT_EQ(kept["text"], "one two three four");
  server.handle_line(R"({"v":1,"type":"cancel","id":"unknown"})");  // ignored: nothing to end
}

TEST(EngineServer, AnswersBadLinesWithErrorsAndKeepsServing) {
  Lines lines;
  EngineServer server(stub(), {}, lines.writer());
  server.start("");
  server.handle_line(generate_frame_line("early"));
  EXPECT_NE(lines.wait_for(terminal_of("early"))["message"].get<std::string>().find("no model"),
            std::string::npos);
  server.handle_line("{{{");
  const json garbage = lines.wait_for(of_type("error"), 2);
  EXPECT_FALSE(garbage.contains("id"));
  server.handle_line(R"({"v":1,"type":"load","model":"/nonexistent/m.gguf"})");
  EXPECT_NE(lines
                .wait_for([](const json& l) {
                  return l["type"] == "error" && l["message"].get<std::string>().find(
                                                     "/nonexistent/m.gguf") != std::string::npos;
                })
                .size(),
            0u);
  EXPECT_TRUE(server.handle_line(R"({"v":1,"type":"load","model":")" + some_file() + R"("})"));
  server.handle_line(generate_frame_line("later"));
  EXPECT_EQ(lines.wait_for(terminal_of("later"))["type"], "done");
  EXPECT_FALSE(server.handle_line(R"({"v":1,"type":"shutdown"})"));
}

TEST(EngineServer, RefusesADuplicateIdInFlight) {
  Lines lines;
  EngineServer server(stub(std::chrono::milliseconds(50)), {}, lines.writer());
  server.start(some_file());
  server.handle_line(generate_frame_line("twice"));
  server.handle_line(generate_frame_line("twice"));
  const json refusal = lines.wait_for(of_type("error"));
  EXPECT_EQ(refusal["id"], "twice");
  EXPECT_NE(refusal["message"].get<std::string>().find("already in flight"), std::string::npos);
  EXPECT_EQ(lines.wait_for(terminal_of("twice"))["type"], "error");
  server.stop();
  EXPECT_EQ(server.generations_in_flight(), 0u);
}

TEST(EngineServer, ResolvesModelNamesInTheModelsDirectory) {
  const auto dir = std::filesystem::temp_directory_path() / "weft-engine-models-test";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(some_file(), dir / "tiny.gguf",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(resolve_model("tiny", dir.string()), (dir / "tiny.gguf").string());
  EXPECT_EQ(resolve_model("tiny:latest", dir.string()), (dir / "tiny.gguf").string());
  EXPECT_EQ(resolve_model(some_file(), dir.string()), some_file());
  // A name in no store is pulled from the registry: here one that refuses at once.
  ::setenv("WEFT_OLLAMA_REGISTRY", "http://127.0.0.1:1", 1);
  EXPECT_THROW(resolve_model("absent", dir.string()), Error);
  ::unsetenv("WEFT_OLLAMA_REGISTRY");
  EXPECT_THROW(resolve_model("../tiny", dir.string()), Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace weft::engine
