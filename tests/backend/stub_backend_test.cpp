#include "backend/stub_backend.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support/scoped_environment.hpp"
#include "support/stream_helpers.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

GenerationRequest request_with(GenerationOptions options) {
  GenerationRequest request;
  request.messages.push_back({Role::user, "hello there"});
  request.options = std::move(options);
  return request;
}

StubConfig fast_config(std::string text) {
  StubConfig config;
  config.text = std::move(text);
  config.token_delay = std::chrono::milliseconds(0);
  return config;
}

TEST(StubBackend, StreamsTheCannedTextWordByWord) {
  StubBackend stub(fast_config("one two three"));
  auto stream = stub.generate(request_with({}));
  std::vector<std::string> tokens;
  std::optional<Event> terminal;
  while (auto event = stream.next()) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      tokens.push_back(token->text);
    } else {
      ASSERT_FALSE(terminal.has_value()) << "two terminal events";
      terminal = *event;
    }
  }
  EXPECT_EQ(tokens, (std::vector<std::string>{"one", " two", " three"}));
  ASSERT_TRUE(terminal);
  auto& done = std::get<DoneEvent>(*terminal);
  EXPECT_EQ(done.reason, StopReason::end);
  EXPECT_EQ(done.backend, "stub");
  EXPECT_EQ(done.usage.completion_tokens, 3u);
  EXPECT_EQ(done.usage.prompt_tokens, 2u);
}

TEST(StubBackend, StopsAtMaxTokensWithReasonLength) {
  StubBackend stub(fast_config("a b c d e"));
  GenerationOptions options;
  options.max_tokens = 2;
  auto stream = stub.generate(request_with(options));
  auto result = collect(stream);
  EXPECT_EQ(result.text, "a b");
  EXPECT_EQ(std::get<DoneEvent>(result.terminal).reason, StopReason::length);
}

TEST(StubBackend, NeverEmitsAnyPartOfAStopString) {
  StubBackend stub(fast_config("alpha beta gamma delta"));
  GenerationOptions options;
  options.stop = {"a gam"};
  auto stream = stub.generate(request_with(options));
  auto result = collect(stream);
  EXPECT_EQ(result.text, "alpha bet");
  EXPECT_EQ(std::get<DoneEvent>(result.terminal).reason, StopReason::end);
}

TEST(StubBackend, CancelFromAnotherThreadEndsWithDoneCancelled) {
  StubConfig config = fast_config("w w w w w w w w w w w w w w w w w w w w w w w w");
  // 24 words at 200 ms each would take 4.8 s; the cancel comes after the first word.
  config.token_delay = std::chrono::milliseconds(200);
  StubBackend stub(config);
  auto stream = stub.generate(request_with({}));
  auto first = stream.next();
  ASSERT_TRUE(first && std::holds_alternative<TokenEvent>(*first));
  std::thread canceller([&] { stream.cancel(); });
  auto result = collect(stream);
  canceller.join();
  EXPECT_LT(result.text.size() + std::get<TokenEvent>(*first).text.size(), config.text.size())
      << "the whole answer came despite the cancel";
  auto& done = std::get<DoneEvent>(result.terminal);
  EXPECT_EQ(done.reason, StopReason::cancelled);
  EXPECT_EQ(done.backend, "stub");
  EXPECT_FALSE(stream.next().has_value());
}

// The environment gives the default delay; a delay set in the configuration wins over it.
TEST(StubBackend, ConfiguredDelayWinsOverTheEnvironment) {
  test::ScopedEnvironment environment;
  environment.set("WEFT_STUB_DELAY_MS", "60000");
  EXPECT_EQ(StubBackend().token_delay(), std::chrono::milliseconds(60000));
  StubBackend stub(fast_config("one two three"));
  EXPECT_EQ(stub.token_delay(), std::chrono::milliseconds(0));
  // With the environment's minute per word this could not finish within the liveness bound.
  auto stream = stub.generate(request_with({}));
  const auto events = test::collect_events(stream);
  ASSERT_FALSE(events.gave_up);
  EXPECT_EQ(events.text, "one two three");

  environment.set("WEFT_STUB_DELAY_MS", "7");
  EXPECT_EQ(StubBackend().token_delay(), std::chrono::milliseconds(7));
  environment.set("WEFT_STUB_DELAY_MS", std::nullopt);
  EXPECT_EQ(StubBackend().token_delay(), std::chrono::milliseconds(5));
}

// WEFT_STUB_TEXT replaces the canned answer, newlines and markup kept byte for byte; empty
// counts as unset, and a text set in the configuration wins.
TEST(StubBackend, TextFromTheEnvironmentReplacesTheCannedAnswer) {
  test::ScopedEnvironment environment;
  const std::string text = "<b>bold</b>\n```\ncode\n```  two  spaces";
  environment.set("WEFT_STUB_TEXT", text);
  StubConfig from_environment;
  from_environment.token_delay = std::chrono::milliseconds(0);
  auto stream = StubBackend(from_environment).generate(request_with({}));
  const auto events = test::collect_events(stream);
  ASSERT_FALSE(events.gave_up);
  EXPECT_EQ(events.text, text);
  auto configured = StubBackend(fast_config("one two")).generate(request_with({}));
  EXPECT_EQ(test::collect_events(configured).text, "one two");
  const std::string canned = "This is weft's stub backend: no model is loaded";
  environment.set("WEFT_STUB_TEXT", "");
  EXPECT_EQ(StubConfig().text.rfind(canned, 0), 0u);
  environment.set("WEFT_STUB_TEXT", std::nullopt);
  EXPECT_EQ(StubConfig().text.rfind(canned, 0), 0u);
}

TEST(StubBackend, MalformedDelayInTheEnvironmentIsAClearError) {
  test::ScopedEnvironment environment;
  for (const char* bad : {"abc", "-1", "5ms", " 5", "60001", "99999999999999999999"}) {
    environment.set("WEFT_STUB_DELAY_MS", bad);
    try {
      StubBackend stub;
      FAIL() << "accepted '" << bad << "'";
    } catch (const Error& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("WEFT_STUB_DELAY_MS"), std::string::npos) << message;
      EXPECT_NE(message.find(std::string("'") + bad + "'"), std::string::npos) << message;
    }
  }
  // A configured delay does not read the environment at all.
  StubConfig config;
  config.token_delay = std::chrono::milliseconds(1);
  EXPECT_EQ(StubBackend(config).token_delay(), std::chrono::milliseconds(1));
}

}  // namespace
}  // namespace weft::backend
