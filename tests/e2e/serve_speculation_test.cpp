// `weft serve --lookup` and `weft serve --draft MODEL`: every generation speculates inside the
// scheduler, by prompt lookup or with a draft model's batched drafts. Concurrent answers are
// those of a daemon without it (greedy, seeded and with a stop string), and the admin stats
// frame counts the drafts made and kept (and the draft model's calls). A draft model of
// another vocabulary is refused at start, naming both files.
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
#include "support/shared_files.hpp"

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

// The admin stats' speculation object once it counts a kept draft.
std::optional<nlohmann::json> counted_speculation(const DaemonProcess& daemon) {
  auto admin = daemon.admin();
  while (auto event = admin.next_for(std::chrono::milliseconds(kPatience))) {
    if (!event->is_stats()) continue;
    auto frame = nlohmann::json::parse(event->raw);
    if (frame.contains("speculation") && frame["speculation"]["accepted"].get<uint64_t>() > 0) {
      return frame["speculation"];
    }
  }
  return std::nullopt;
}

void expect_same_answers(const std::vector<Answer>& speculative, const std::vector<Answer>& plain) {
  ASSERT_EQ(speculative.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_FALSE(plain[i].text.empty()) << "request " << i;
    EXPECT_EQ(speculative[i].text, plain[i].text) << "request " << i;
    EXPECT_EQ(speculative[i].terminal, plain[i].terminal) << "request " << i;
  }
}

std::vector<Answer> plain_answers() {
  DaemonProcess daemon(native({}));
  return answers(daemon);
}

TEST(ServeSpeculation, LookupAnswersAreThoseWithoutItAndItsDraftsAreCounted) {
  const auto plain = plain_answers();
  DaemonProcess daemon(native({"--lookup", "--draft-tokens", "6"}));
  expect_same_answers(answers(daemon), plain);
  const auto counted = counted_speculation(daemon);
  ASSERT_TRUE(counted) << daemon.log();
  EXPECT_GE((*counted)["drafted"].get<uint64_t>(), (*counted)["accepted"].get<uint64_t>());
}

// The model as its own draft (its drafts are its greedy tokens): the answers are the same, the
// greedy ones' drafts are kept, and the stats count the draft model's batched calls.
TEST(ServeSpeculation, DraftModelAnswersAreThoseWithoutItAndItsCallsAreCounted) {
  const auto plain = plain_answers();
  DaemonProcess daemon(native({"--draft", test::bundled_model_file(), "--draft-tokens", "5"}));
  expect_same_answers(answers(daemon), plain);
  const auto counted = counted_speculation(daemon);
  ASSERT_TRUE(counted) << daemon.log();
  EXPECT_GE((*counted)["drafted"].get<uint64_t>(), (*counted)["accepted"].get<uint64_t>());
  ASSERT_TRUE(counted->contains("draft_model_calls")) << counted->dump();
  EXPECT_GT((*counted)["draft_model_calls"].get<uint64_t>(), 0u);
}

// The same through the environment variable, as a config key would give it.
TEST(ServeSpeculation, TheDraftModelCanComeFromTheEnvironment) {
  auto options = native({});
  options.env["WEFT_DRAFT"] = test::bundled_model_file();
  DaemonProcess daemon(options);
  EXPECT_EQ(answers(daemon).size(), requests().size());
  const auto counted = counted_speculation(daemon);
  ASSERT_TRUE(counted) << daemon.log();
  EXPECT_GT((*counted).value("draft_model_calls", uint64_t{0}), 0u);
}

TEST(ServeSpeculation, ADraftOfAnotherVocabularyIsRefusedAtStartNamingBothFiles) {
  // llama.cpp's LLaMA vocabulary (32,000 tokens) against the bundled model's 512.
  const auto draft = test::shared_path("models/vocab/ggml-vocab-llama-spm.gguf").string();
  const auto result = run_weft({"serve", "--backend", "native", "--model",
                                test::bundled_model_file(), "--ctx", "512", "--draft", draft});
  EXPECT_NE(result.status, 0);
  EXPECT_NE(result.errors.find("different vocabularies"), std::string::npos) << result.errors;
  EXPECT_NE(result.errors.find(draft), std::string::npos) << result.errors;
  EXPECT_NE(result.errors.find(test::bundled_model_file()), std::string::npos) << result.errors;
}

TEST(ServeSpeculation, DraftAndLookupTogetherAreRefusedAtStart) {
  const auto result =
      run_weft({"serve", "--backend", "stub", "--lookup", "--draft", test::bundled_model_file()});
  EXPECT_NE(result.status, 0);
  EXPECT_NE(result.errors.find("draft and lookup cannot be combined"), std::string::npos)
      << result.errors;
}

TEST(ServeSpeculation, LookupOutOfRangeIsRefusedAtStart) {
  const auto result = run_weft({"serve", "--backend", "stub", "--lookup=1"});
  EXPECT_NE(result.status, 0);
  EXPECT_NE(result.errors.find("--lookup"), std::string::npos) << result.errors;
}

}  // namespace
}  // namespace weft::testing
