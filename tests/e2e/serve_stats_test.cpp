// weft serve's `stats` admin frame (a weft extension): request counters and, on the native
// backend, the KV cache and prefix-cache counters; `weft status` prints them.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/bundled_model.hpp"
#include "support/daemon_process.hpp"
#include "support/frames.hpp"

namespace weft::testing {
namespace {

// Several pages (16 tokens each) of prompt, so a repeat can adopt whole cached pages.
std::string long_prompt() {
  std::string prompt;
  for (int i = 0; i < 8; ++i) prompt += "Once upon a time there was a little girl named Lily. ";
  return prompt;
}

// Reads admin frames until a stats frame satisfies `wanted`; nullopt if none in time.
template <typename Predicate>
std::optional<client::AdminEvent> stats_where(client::AdminClient& admin, Predicate wanted) {
  while (auto event = admin.next_for(std::chrono::milliseconds(kPatience))) {
    if (event->is_stats() && wanted(*event)) return event;
  }
  return std::nullopt;
}

void run_to_done(client::Client& client, const std::string& id) {
  auto request = user_request(id, long_prompt(), 2);
  request.options.temperature = 0.0f;
  auto frames = client.generate(request);
  ASSERT_EQ(collect_frames(frames).terminal.type, client::Frame::Type::done);
}

TEST(ServeStats, ARepeatedPromptIsServedFromThePrefixCache) {
  DaemonProcess::Options options;
  options.args = {"--backend", "native", "--model",   test::bundled_model_file(),
                  "--ctx",     "512",    "--threads", "1"};
  DaemonProcess daemon(options);
  auto client = daemon.connect();
  auto admin = daemon.admin();
  auto idle = [](const client::AdminEvent& event) {
    return event.kv && event.active_requests == 0u && event.queued_requests == 0u &&
           event.kv->live == 0 && event.kv->waiting == 0;
  };

  run_to_done(client, "first");
  auto after_first = stats_where(admin, [&](const client::AdminEvent& event) {
    return idle(event) && event.kv->prompt_tokens_computed > 0;
  });
  ASSERT_TRUE(after_first) << daemon.log();
  EXPECT_EQ(after_first->kv->prompt_tokens_cached, 0u) << after_first->raw;
  EXPECT_GT(after_first->kv->pages_capacity, 0u) << after_first->raw;
  EXPECT_GT(after_first->kv->pages_cached, 0u) << "the prompt's pages stay cached";

  run_to_done(client, "second");
  auto after_second = stats_where(admin, [&](const client::AdminEvent& event) {
    return idle(event) && event.kv->prompt_tokens_computed + event.kv->prompt_tokens_cached >
                              after_first->kv->prompt_tokens_computed;
  });
  ASSERT_TRUE(after_second) << daemon.log();
  EXPECT_GT(after_second->kv->prompt_tokens_cached, 0u) << after_second->raw;
  // The repeat computed less than the first request did: the rest came from the cache.
  EXPECT_LT(after_second->kv->prompt_tokens_computed - after_first->kv->prompt_tokens_computed,
            after_first->kv->prompt_tokens_computed)
      << after_second->raw;

  // `weft status` shows them; --json passes the frame through.
  auto text = run_weft({"status", "--socket", daemon.admin_path()});
  EXPECT_EQ(text.status, 0) << text.errors;
  EXPECT_NE(
      text.output.find("prompt tokens: " + std::to_string(after_second->kv->prompt_tokens_cached) +
                       " from the prefix cache"),
      std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("requests: 0 active, 0 queued"), std::string::npos) << text.output;
  auto json = run_weft({"status", "--json", "--socket", daemon.admin_path()});
  EXPECT_NE(json.output.find(R"("status":"stats")"), std::string::npos) << json.output;
  EXPECT_NE(json.output.find(R"("prompt_tokens_cached":)" +
                             std::to_string(after_second->kv->prompt_tokens_cached)),
            std::string::npos)
      << json.output;
}

TEST(ServeStats, OtherBackendsReportRequestsWithoutKv) {
  DaemonProcess daemon;
  auto client = daemon.connect();
  auto frames = client.generate(user_request("one", "hi", 1));
  ASSERT_EQ(collect_frames(frames).terminal.type, client::Frame::Type::done);
  auto admin = daemon.admin();
  auto stats = stats_where(admin, [](const client::AdminEvent& event) {
    return event.active_requests == 0u && event.queued_requests == 0u;
  });
  ASSERT_TRUE(stats) << daemon.log();
  EXPECT_FALSE(stats->kv) << stats->raw;
}

}  // namespace
}  // namespace weft::testing
