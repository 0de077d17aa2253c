// `weft serve --lookup`: every generation speculates by prompt lookup inside the scheduler.
// Concurrent answers are those of a daemon without it (greedy, seeded and with a stop
// string), and the admin stats frame counts the drafts made and kept.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/bundled_model.hpp"
#include "support/daemon_process.hpp"
#include "support/frames.hpp"

namespace weft::testing {
namespace {

// The bundled story model comes back to its phrases, so lookup finds drafts in its answers.
std::vector<GenerationRequest> requests() {
  auto greedy = user_request("greedy", "Once upon a time, there was a little girl named Lily.", 96);
  greedy.options.temperature = 0.0f;
  auto seeded = user_request("seeded", "Once upon a time, there was a little girl named Lily.", 96);
  seeded.options.temperature = 0.9f;
  seeded.options.top_k = 40;
  seeded.options.seed = 11;
  auto stopped = user_request("stopped", "Tom and his dog went to the park.", 96);
  stopped.options.temperature = 0.0f;
  stopped.options.stop = {"park"};
  return {greedy, seeded, stopped};
}

struct Answer {
  std::string text;
  std::string terminal;  // the done frame, usage and stop reason included
};

// All requests in flight at once (one connection each), then each read to its end.
std::vector<Answer> answers(const DaemonProcess& daemon) {
  const auto all = requests();
  std::vector<client::Client> clients;
  clients.reserve(all.size());  // the streams refer to their clients
  std::vector<client::FrameStream> streams;
  for (const auto& request : all) {
    clients.push_back(daemon.connect());
    streams.push_back(clients.back().generate(request));
  }
  std::vector<Answer> out;
  for (auto& stream : streams) {
    auto collected = collect_frames(stream);
    EXPECT_EQ(collected.terminal.type, client::Frame::Type::done) << collected.terminal.raw;
    auto done = nlohmann::json::parse(collected.terminal.raw);
    done.erase("timings");
    out.push_back({collected.token_text(), done.dump()});
  }
  return out;
}

DaemonProcess::Options native(std::vector<std::string> extra) {
  DaemonProcess::Options options;
  options.args = {"--backend", "native", "--model",   test::bundled_model_file(),
                  "--ctx",     "512",    "--threads", "1"};
  options.args.insert(options.args.end(), extra.begin(), extra.end());
  return options;
}

TEST(ServeSpeculation, LookupAnswersAreThoseWithoutItAndItsDraftsAreCounted) {
  std::vector<Answer> plain;
  {
    DaemonProcess daemon(native({}));
    plain = answers(daemon);
  }
  DaemonProcess daemon(native({"--lookup", "--draft-tokens", "6"}));
  const auto speculative = answers(daemon);
  ASSERT_EQ(speculative.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_FALSE(plain[i].text.empty()) << "request " << i;
    EXPECT_EQ(speculative[i].text, plain[i].text) << "request " << i;
    EXPECT_EQ(speculative[i].terminal, plain[i].terminal) << "request " << i;
  }

  auto admin = daemon.admin();
  std::optional<nlohmann::json> counted;
  while (auto event = admin.next_for(std::chrono::milliseconds(kPatience))) {
    if (!event->is_stats()) continue;
    auto frame = nlohmann::json::parse(event->raw);
    if (frame.contains("speculation") && frame["speculation"]["accepted"].get<uint64_t>() > 0) {
      counted = frame["speculation"];
      break;
    }
  }
  ASSERT_TRUE(counted) << daemon.log();
  EXPECT_GE((*counted)["drafted"].get<uint64_t>(), (*counted)["accepted"].get<uint64_t>());
}

TEST(ServeSpeculation, LookupOutOfRangeIsRefusedAtStart) {
  const auto result = run_weft({"serve", "--backend", "stub", "--lookup=1"});
  EXPECT_NE(result.status, 0);
  EXPECT_NE(result.errors.find("--lookup"), std::string::npos) << result.errors;
}

}  // namespace
}  // namespace weft::testing
