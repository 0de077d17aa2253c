// The `process` backend against tests/fake_engine (an engine that misbehaves on purpose) and
// against weft-engine itself.
#include "backend/process_backend.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "backend/native_backend.hpp"
#include "support/scoped_environment.hpp"
#include "support/stream_helpers.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

using std::chrono::milliseconds;
using test::collect_events;

ProcessConfig fake_config() {
  ProcessConfig config;
  config.engine.binary = WEFT_FAKE_ENGINE;
  config.engine.shutdown_timeout = milliseconds(500);
  config.engine.log = [](std::string_view, std::string_view) {};
  config.load_timeout = milliseconds(5000);
  config.restart_backoff = milliseconds(50);
  return config;
}

LoadOptions model_named(const std::string& model) {
  LoadOptions options;
  options.model_path = model;
  return options;
}

GenerationRequest asking(const std::string& content) {
  GenerationRequest request;
  request.messages.push_back({Role::user, content});
  return request;
}

std::unique_ptr<ProcessBackend> loaded_fake(ProcessConfig config = fake_config()) {
  auto backend = std::make_unique<ProcessBackend>(std::move(config));
  backend->load(model_named("fake-model"));
  return backend;
}

size_t count_entries(const char* dir) {
  size_t count = 0;
  if (DIR* handle = opendir(dir)) {
    while (readdir(handle)) ++count;
    closedir(handle);
  }
  return count;
}

bool process_exists(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

TEST(ProcessBackend, StreamsEveryTokenAndEndsWithStop) {
  auto backend = loaded_fake();
  EXPECT_EQ(backend->model_info().name, "fake-model");
  auto stream = backend->generate(asking("echo alpha beta gamma"));
  auto events = collect_events(stream);
  EXPECT_EQ(events.tokens, (std::vector<std::string>{"alpha", " beta", " gamma"}));
  ASSERT_NE(test::as_done(events), nullptr);
  EXPECT_EQ(test::as_done(events)->reason, StopReason::end);
  EXPECT_EQ(test::as_done(events)->usage.completion_tokens, 3u);
  EXPECT_EQ(events.terminal_count, 1);
}

TEST(ProcessBackend, ReassemblesLinesSplitAcrossWritesAndInsideCharacters) {
  auto backend = loaded_fake();
  auto stream = backend->generate(asking("split héllo wörld ünïcödé ✓"));
  auto events = collect_events(stream);
  EXPECT_EQ(events.text, "héllo wörld ünïcödé ✓");
  ASSERT_NE(test::as_done(events), nullptr);
}

TEST(ProcessBackend, DemultiplexesInterleavedGenerations) {
  auto backend = loaded_fake();
  auto first = backend->generate(asking("slow a1 a2 a3 a4 a5"));
  auto second = backend->generate(asking("slow b1 b2 b3 b4 b5"));
  auto third = backend->generate(asking("slow c1 c2 c3"));
  EXPECT_EQ(collect_events(first).text, "a1 a2 a3 a4 a5");
  EXPECT_EQ(collect_events(second).text, "b1 b2 b3 b4 b5");
  EXPECT_EQ(collect_events(third).text, "c1 c2 c3");
}

TEST(ProcessBackend, IgnoresGarbageAndLinesForOtherIds) {
  auto backend = loaded_fake();
  auto stream = backend->generate(asking("garbage x y z"));
  auto events = collect_events(stream);
  EXPECT_EQ(events.text, "x y z");
  ASSERT_NE(test::as_done(events), nullptr);
  EXPECT_EQ(test::as_done(events)->reason, StopReason::end);
}

TEST(ProcessBackend, StreamsTextThatOnlyDoneCarries) {
  auto backend = loaded_fake();
  auto stream = backend->generate(asking("doneonly all at once"));
  auto events = collect_events(stream);
  EXPECT_EQ(events.text, "all at once");
  ASSERT_NE(test::as_done(events), nullptr);
}

TEST(ProcessBackend, MapsLengthAndEngineErrors) {
  auto backend = loaded_fake();
  auto length = backend->generate(asking("length p q"));
  auto length_events = collect_events(length);
  ASSERT_NE(test::as_done(length_events), nullptr);
  EXPECT_EQ(test::as_done(length_events)->reason, StopReason::length);

  auto failing = backend->generate(asking("fail"));
  auto failing_events = collect_events(failing);
  ASSERT_NE(test::as_error(failing_events), nullptr);
  EXPECT_NE(test::as_error(failing_events)->message.find("fails on purpose"), std::string::npos);
}

TEST(ProcessBackend, CrashEndsEveryGenerationInFlightAndTheNextRequestRestarts) {
  auto backend = loaded_fake();
  const pid_t first_pid = backend->engine_pid();
  auto bystander = backend->generate(asking("slow w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12"));
  std::this_thread::sleep_for(milliseconds(30));
  auto crashing = backend->generate(asking("crash"));
  auto crashed = collect_events(crashing);
  EXPECT_EQ(crashed.text, "one two");
  ASSERT_NE(test::as_error(crashed), nullptr);
  EXPECT_EQ(test::as_error(crashed)->code, ErrorCode::backend_unavailable);
  EXPECT_NE(test::as_error(crashed)->message.find("exited with status 3"), std::string::npos)
      << test::as_error(crashed)->message;
  auto other = collect_events(bystander);
  ASSERT_NE(test::as_error(other), nullptr);
  EXPECT_EQ(other.terminal_count, 1);
  EXPECT_FALSE(process_exists(first_pid)) << "the crashed engine was not reaped";

  std::this_thread::sleep_for(milliseconds(60));  // the first backoff
  auto after = backend->generate(asking("echo back again"));
  auto events = collect_events(after);
  EXPECT_EQ(events.text, "back again");
  EXPECT_NE(backend->engine_pid(), first_pid);
}

TEST(ProcessBackend, RestartsNoSoonerThanTheBackoff) {
  auto config = fake_config();
  config.restart_backoff = std::chrono::seconds(30);
  auto backend = loaded_fake(config);
  auto crashing = backend->generate(asking("crash"));
  ASSERT_NE(test::as_error(collect_events(crashing)), nullptr);
  auto refused = backend->generate(asking("echo too soon"));
  auto events = collect_events(refused);
  ASSERT_NE(test::as_error(events), nullptr);
  EXPECT_EQ(test::as_error(events)->code, ErrorCode::backend_unavailable);
  EXPECT_NE(test::as_error(events)->message.find("started again after"), std::string::npos)
      << test::as_error(events)->message;
}

TEST(ProcessBackend, CancelOfAHungGenerationReturnsAtOnce) {
  auto backend = loaded_fake();
  auto stream = backend->generate(asking("hang"));
  stream.cancel();
  // The fake engine never answers "hang", and the stall timeout (120 s by default) is far
  // beyond this wait: an end that arrives within it can only come from the cancel itself.
  ASSERT_GT(fake_config().engine.stall_timeout, std::chrono::seconds(60));
  auto events = collect_events(stream, std::chrono::seconds(30));
  ASSERT_NE(test::as_done(events), nullptr);
  EXPECT_EQ(test::as_done(events)->reason, StopReason::cancelled);
  auto after = backend->generate(asking("echo still serving"));
  EXPECT_EQ(collect_events(after).text, "still serving");
}

TEST(ProcessBackend, AGenerationTheEngineForgetsEndsAfterTheStallTimeout) {
  auto config = fake_config();
  config.engine.stall_timeout = milliseconds(300);
  auto backend = loaded_fake(config);
  auto stream = backend->generate(asking("hang"));
  auto events = collect_events(stream, std::chrono::seconds(10));
  ASSERT_NE(test::as_error(events), nullptr);
  EXPECT_NE(test::as_error(events)->message.find("sent nothing for this generation in 300 ms"),
            std::string::npos)
      << test::as_error(events)->message;
  auto after = backend->generate(asking("echo still serving"));
  EXPECT_EQ(collect_events(after).text, "still serving");
}

TEST(ProcessBackend, ReadsTheStallTimeoutFromTheEnvironment) {
  test::ScopedEnvironment environment;
  environment.set("WEFT_ENGINE_STALL_TIMEOUT_MS", "1500");
  EXPECT_EQ(ProcessConfig::from_environment().engine.stall_timeout, milliseconds(1500));
  environment.set("WEFT_ENGINE_STALL_TIMEOUT_MS", "soon");
  EXPECT_THROW(ProcessConfig::from_environment(), Error);
}

TEST(ProcessBackend, UnloadKillsAnEngineThatIgnoresShutdownAndSigterm) {
  auto backend = loaded_fake();
  const pid_t pid = backend->engine_pid();
  auto stream = backend->generate(asking("freeze"));
  std::this_thread::sleep_for(milliseconds(100));
  const auto started = std::chrono::steady_clock::now();
  backend->unload();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(6));
  EXPECT_FALSE(process_exists(pid));
  auto events = collect_events(stream, std::chrono::seconds(5));
  ASSERT_NE(test::as_error(events), nullptr);
  EXPECT_NE(test::as_error(events)->message.find("signal 9"), std::string::npos)
      << test::as_error(events)->message;
}

TEST(ProcessBackend, LoadFailuresSayWhy) {
  ProcessBackend refusing(fake_config());
  try {
    refusing.load(model_named("missing"));
    ADD_FAILURE() << "load of a missing model succeeded";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("no such model: missing"), std::string::npos)
        << error.what();
  }
  {
    test::ScopedEnvironment environment;
    environment.set("FAKE_ENGINE_STARTUP", "exit");
    ProcessBackend exiting(fake_config());
    try {
      exiting.load({});
      ADD_FAILURE() << "load of an engine that exits succeeded";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("exited with status 7"), std::string::npos)
          << error.what();
    }
  }
  test::ScopedEnvironment environment;
  environment.set("FAKE_ENGINE_STARTUP", "silent");
  auto config = fake_config();
  config.load_timeout = milliseconds(300);
  ProcessBackend silent(config);
  EXPECT_THROW(silent.load({}), Error);
}

TEST(ProcessBackend, IsUnavailableWithoutAnExecutableBinary) {
  ProcessConfig none;
  EXPECT_FALSE(ProcessBackend(none).available().available);
  ProcessConfig missing;
  missing.engine.binary = "/nonexistent/engine";
  auto availability = ProcessBackend(missing).available();
  EXPECT_FALSE(availability.available);
  EXPECT_NE(availability.reason.find("/nonexistent/engine"), std::string::npos);
  EXPECT_TRUE(ProcessBackend(fake_config()).available().available);
}

TEST(ProcessBackend, RefusesNativeOnlyOptions) {
  auto backend = loaded_fake();
  auto request = asking("echo x");
  request.options.grammar = "root ::= \"x\"";
  auto events = collect_events(*std::make_unique<GenerationStream>(backend->generate(request)));
  ASSERT_NE(test::as_error(events), nullptr);
  EXPECT_EQ(test::as_error(events)->code, ErrorCode::invalid_request);
}

TEST(ProcessBackend, LeavesNoDescriptorsThreadsOrChildrenBehind) {
  const size_t descriptors = count_entries("/proc/self/fd");
  const size_t threads = count_entries("/proc/self/task");
  for (int round = 0; round < 3; ++round) {
    auto backend = loaded_fake();
    auto stream = backend->generate(asking("slow a b c"));
    EXPECT_EQ(collect_events(stream).text, "a b c");
  }
  EXPECT_EQ(count_entries("/proc/self/fd"), descriptors);
  EXPECT_EQ(count_entries("/proc/self/task"), threads);
}

// weft-engine behind the process backend gives the native backend's greedy text, also with
// two generations at once.
TEST(ProcessBackend, DrivesWeftEngineLikeTheNativeBackend) {
  const std::string model = std::string(WEFT_SOURCE_DIR) + "/assets/stories260K-f32.gguf";
  GenerationRequest request = asking("Once upon a time");
  request.options.temperature = 0.0f;
  request.options.max_tokens = 30;
  NativeBackend native;
  native.load(model_named(model));
  auto reference_stream = native.generate(request);
  const auto reference = collect_events(reference_stream);
  ASSERT_NE(test::as_done(reference), nullptr);

  test::ScopedEnvironment environment;
  environment.set("WEFT_MODEL", std::nullopt);
  environment.set("INFERNET_ENGINE_MODEL", std::nullopt);
  ProcessConfig config;
  config.engine.binary = WEFT_ENGINE_BINARY;
  config.engine.log = [](std::string_view, std::string_view) {};
  ProcessBackend backend(config);
  backend.load(model_named(model));
  auto first = backend.generate(request);
  auto second = backend.generate(request);
  const auto first_events = collect_events(first);
  const auto second_events = collect_events(second);
  EXPECT_EQ(first_events.text, reference.text);
  EXPECT_EQ(second_events.text, reference.text);
  ASSERT_NE(test::as_done(first_events), nullptr);
  EXPECT_EQ(test::as_done(first_events)->reason, test::as_done(reference)->reason);
  EXPECT_EQ(test::as_done(first_events)->usage.completion_tokens,
            test::as_done(reference)->usage.completion_tokens);
}

}  // namespace
}  // namespace weft::backend
