// The program protocol (docs/programs.md) spoken over real socket pairs to a ProgramSession,
// the way the SDK's runner speaks it: greedy decoding pass by pass reproduces the fixture's
// independent greedy continuation, probed logits match llama.cpp's, forks compute what an
// unforked context computes, and misuse gets errors that leave the session usable.
#include "program/program_session.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <numeric>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "program/brle.hpp"
#include "program/line_channel.hpp"
#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"

namespace weft::program {
namespace {

using nlohmann::json;

ContextRuntimeOptions program_fixture_options() {
  return {.model_path = test::shared_path("fixtures/llama/llama-f32.gguf").string(),
          .threads = 2,
          .kv_pages = 64,
          .kv_f32 = true,
          .reference_kernels = true,
          .prefix_cache = false};
}

std::vector<float> floats_from_base64(const std::string& text) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  uint32_t group = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    group = (group << 6) | static_cast<uint32_t>(alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((group >> bits) & 0xff));
    }
  }
  std::vector<float> values(bytes.size() / 4);
  std::memcpy(values.data(), bytes.data(), values.size() * 4);
  return values;
}

// A program's side of the two channels, with the session served on its own thread.
class ProgramClient {
 public:
  ProgramClient(std::shared_ptr<ContextRuntime> runtime, MessageHub& hub, ProgramSetup setup)
      : session_(std::move(runtime), hub, std::move(setup)) {
    int call[2];
    int async[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, call), 0);
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, async), 0);
    call_ = std::make_unique<LineChannel>(call[1]);
    async_ = std::make_unique<LineChannel>(async[1]);
    server_ = std::thread([this, call, async] { outcome_ = session_.serve(call[0], async[0]); });
  }
  ~ProgramClient() { close(); }

  json call(const json& request) {
    EXPECT_TRUE(call_->write_line(request.dump()));
    return json::parse(call_->read_line().value());
  }
  json ok(const json& request) {
    auto response = call(request);
    EXPECT_TRUE(response["ok"].get<bool>()) << request.dump() << " → " << response.dump();
    return response["result"];
  }
  // Sends async requests and returns their responses in id order.
  std::vector<json> async(const std::vector<json>& requests) {
    for (size_t i = 0; i < requests.size(); ++i) {
      auto request = requests[i];
      request["id"] = i;
      EXPECT_TRUE(async_->write_line(request.dump()));
    }
    std::vector<json> responses(requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
      auto response = json::parse(async_->read_line().value());
      responses.at(response["id"].get<size_t>()) = response;
    }
    return responses;
  }
  json async_ok(const json& request) {
    auto response = async({request}).front();
    EXPECT_TRUE(response["ok"].get<bool>()) << request.dump() << " → " << response.dump();
    return response["result"];
  }
  ProgramOutcome close() {
    if (server_.joinable()) {
      call_->shutdown();
      async_->shutdown();
      server_.join();
    }
    return outcome_;
  }
  ProgramSession& session() { return session_; }

 private:
  ProgramSession session_;
  std::unique_ptr<LineChannel> call_;
  std::unique_ptr<LineChannel> async_;
  std::thread server_;
  ProgramOutcome outcome_;
};

ProgramSetup setup_with(nlohmann::json input = json::object(), uint64_t seed = 0,
                        int64_t max_contexts = 64) {
  ProgramSetup setup;
  setup.input = std::move(input);
  setup.seed = seed;
  setup.max_contexts = max_contexts;
  return setup;
}

class ProgramSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { runtime_ = ContextRuntime::open(program_fixture_options()); }
  static void TearDownTestSuite() { runtime_.reset(); }

  std::vector<int32_t> fixture_tokens(const std::string& kind) const {
    return test::read_token_ids(
        test::shared_path("fixtures/llama/reference/llama-f32." + kind + ".txt"));
  }

  static std::shared_ptr<ContextRuntime> runtime_;
  MessageHub hub_;
};

std::shared_ptr<ContextRuntime> ProgramSessionTest::runtime_;

TEST_F(ProgramSessionTest, HelloCarriesTheInputAndTheModel) {
  ProgramClient client(runtime_, hub_, setup_with({{"name", "x"}}, 9));
  const auto hello = client.ok({{"op", "hello"}});
  EXPECT_EQ(hello["protocol"], 1);
  EXPECT_EQ(hello["input"], (json{{"name", "x"}}));
  EXPECT_EQ(hello["seed"], 9);
  ASSERT_EQ(hello["models"].size(), 1u);
  const auto model = client.ok({{"op", "model"}, {"name", "default"}});
  EXPECT_EQ(model["vocab_size"], 512);
  EXPECT_EQ(model["context_length"], runtime_->context_length());
  EXPECT_EQ(client.call({{"op", "model"}, {"name", "no-such-model"}})["error"]["code"],
            "not_found");
}

TEST_F(ProgramSessionTest, GreedyPassByPassGivesTheIndependentGreedyContinuation) {
  const auto prompt = fixture_tokens("tokens");
  const auto expected = fixture_tokens("exact.greedy");
  ProgramClient client(runtime_, hub_, setup_with());
  const auto context = client.ok({{"op", "context_new"}})["context"];
  const json argmax = {{"kind", "argmax"}};
  std::vector<int32_t> input = prompt;
  std::vector<int32_t> generated;
  while (generated.size() < expected.size()) {
    const auto result =
        client.async_ok({{"op", "forward"},
                         {"context", context},
                         {"tokens", input},
                         {"samplers", {{{"rows", {input.size() - 1}}, {"sampler", argmax}}}}});
    const int32_t token = result["samples"][0][0].get<int32_t>();
    generated.push_back(token);
    input = {token};
  }
  EXPECT_EQ(generated, expected);
}

TEST_F(ProgramSessionTest, ProbedLogitsOfEveryRowMatchLlamaCpp) {
  const auto prompt = fixture_tokens("tokens");
  const auto reference =
      test::read_f32_file(test::shared_path("fixtures/llama/reference/llama-f32.logits.f32"));
  ProgramClient client(runtime_, hub_, setup_with());
  const auto context = client.ok({{"op", "context_new"}})["context"];
  json probes = json::array();
  for (size_t row = 0; row < prompt.size(); ++row) {
    probes.push_back({{"row", row}, {"probe", {{"kind", "logits"}}}});
  }
  const auto result = client.async_ok(
      {{"op", "forward"}, {"context", context}, {"tokens", prompt}, {"probes", probes}});
  ASSERT_EQ(result["probes"].size(), prompt.size());
  for (size_t row = 0; row < prompt.size(); ++row) {
    const auto logits = floats_from_base64(result["probes"][row]["logits"].get<std::string>());
    ASSERT_EQ(logits.size(), 512u);
    const auto difference =
        test::compare_logits(logits, std::span<const float>(reference).subspan(row * 512, 512));
    EXPECT_LT(difference.max_abs, 2e-3) << "row " << row;
  }
}

TEST_F(ProgramSessionTest, ForkedBranchesComputeWhatUnforkedContextsCompute) {
  const auto prompt = fixture_tokens("tokens");
  ProgramClient client(runtime_, hub_, setup_with());
  const auto trunk = client.ok({{"op", "context_new"}})["context"];
  client.async_ok({{"op", "context_append"}, {"context", trunk}, {"tokens", prompt}});
  const auto branch = client.ok({{"op", "context_fork"}, {"context", trunk}})["context"];
  const json probe = {{{"row", 1}, {"probe", {{"kind", "logits"}}}}};
  // Both branches at once (one model call), each with its own continuation.
  const auto results = client.async(
      {{{"op", "forward"}, {"context", trunk}, {"tokens", {7, 8}}, {"probes", probe}},
       {{"op", "forward"}, {"context", branch}, {"tokens", {9, 10}}, {"probes", probe}}});
  for (const auto& [index, continuation] :
       std::vector<std::pair<int, std::vector<int32_t>>>{{0, {7, 8}}, {1, {9, 10}}}) {
    auto fresh = runtime_->create();
    auto tokens = prompt;
    tokens.insert(tokens.end(), continuation.begin(), continuation.end());
    fresh.append(tokens);
    ASSERT_TRUE(results[index]["ok"].get<bool>()) << results[index].dump();
    const auto logits =
        floats_from_base64(results[index]["result"]["probes"][0]["logits"].get<std::string>());
    EXPECT_LT(test::compare_logits(logits, fresh.logits()).max_abs, 1e-5) << "branch " << index;
  }
}

TEST_F(ProgramSessionTest, PassesWithoutInputSampleTheLastLogitsBesideModelCalls) {
  const auto prompt = fixture_tokens("tokens");
  const int32_t greedy = fixture_tokens("exact.greedy").front();
  const auto reference =
      test::read_f32_file(test::shared_path("fixtures/llama/reference/llama-f32.logits.f32"));
  const auto last = std::span<const float>(reference).subspan((prompt.size() - 1) * 512, 512);
  // llama.cpp's best token once the greedy one is forbidden, clear of the next one.
  std::vector<int32_t> order(512);
  std::iota(order.begin(), order.end(), 0);
  std::ranges::sort(order, [&](int32_t a, int32_t b) { return last[a] > last[b]; });
  ASSERT_EQ(order[0], greedy);
  ASSERT_GT(last[order[1]] - last[order[2]], 1e-2f);
  TokenMask without_greedy(512, true);
  without_greedy.set(greedy, false);

  ProgramClient client(runtime_, hub_, setup_with());
  const auto context = client.ok({{"op", "context_new"}})["context"];
  client.async_ok({{"op", "context_append"}, {"context", context}, {"tokens", prompt}});
  const auto other = client.ok({{"op", "context_new"}})["context"];
  const json argmax = {{{"rows", {0}}, {"sampler", {{"kind", "argmax"}}}}};
  const json argmax_last = {{{"rows", {prompt.size() - 1}}, {"sampler", {{"kind", "argmax"}}}}};
  // Pipelined: passes answered at once around one that waits for a model call.
  const auto responses = client.async(
      {{{"op", "forward"}, {"context", context}, {"samplers", argmax}},
       {{"op", "forward"}, {"context", other}, {"tokens", prompt}, {"samplers", argmax_last}},
       {{"op", "forward"},
        {"context", context},
        {"mask", brle_from_mask(without_greedy)},
        {"samplers", argmax}},
       {{"op", "forward"}, {"context", context}, {"samplers", argmax}}});
  for (const auto& response : responses) ASSERT_TRUE(response["ok"].get<bool>()) << response;
  EXPECT_EQ(responses[0]["result"]["samples"][0][0], greedy);
  EXPECT_EQ(responses[0]["result"]["length"], prompt.size());
  EXPECT_EQ(responses[1]["result"]["samples"][0][0], greedy);
  EXPECT_EQ(responses[2]["result"]["samples"][0][0], order[1]);
  EXPECT_EQ(responses[3]["result"]["samples"][0][0], greedy);
}

TEST_F(ProgramSessionTest, MisuseGetsAnErrorAndTheSessionGoesOn) {
  ProgramClient client(runtime_, hub_, setup_with());
  const auto context = client.ok({{"op", "context_new"}})["context"];
  client.ok({{"op", "context_release"}, {"context", context}});
  const auto released = client.call({{"op", "context_fork"}, {"context", context}});
  EXPECT_EQ(released["error"]["code"], "invalid_request");
  EXPECT_NE(released["error"]["message"].get<std::string>().find("not open"), std::string::npos);

  const auto live = client.ok({{"op", "context_new"}})["context"];
  auto bad_token =
      client.async({{{"op", "context_append"}, {"context", live}, {"tokens", {1, 512}}}});
  EXPECT_NE(bad_token[0]["error"]["message"].get<std::string>().find("'tokens'[1] = 512"),
            std::string::npos)
      << bad_token[0].dump();
  auto bad_position = client.async(
      {{{"op", "forward"}, {"context", live}, {"tokens", {1, 2}}, {"positions", {0, 5}}}});
  EXPECT_NE(bad_position[0]["error"]["message"].get<std::string>().find("positions[1] is 5"),
            std::string::npos);
  EXPECT_EQ(client.call(json::parse("[1]"))["error"]["code"], "invalid_request");
  const auto missing = client.ok({{"op", "context_info"}, {"context", live}});
  EXPECT_EQ(missing["length"], 0);  // nothing of the refused passes was kept
  EXPECT_EQ(client.call({{"op", "no_such_op"}})["error"]["code"], "invalid_request");
  EXPECT_EQ(client.call({{"op", "context_open"}, {"name", "never-saved"}})["error"]["code"],
            "not_found");
}

TEST_F(ProgramSessionTest, MalformedLinesAreAnsweredAndTheChannelStaysUsable) {
  ProgramClient client(runtime_, hub_, setup_with());
  // Through the raw channel: not JSON at all.
  auto response = client.call(json("not an object"));
  EXPECT_FALSE(response["ok"].get<bool>());
  EXPECT_EQ(client.ok({{"op", "hello"}})["protocol"], 1);
}

TEST_F(ProgramSessionTest, ContextsDieWithTheProgramAndSnapshotsOutliveIt) {
  const auto before = runtime_->usage().pages_in_use;
  {
    ProgramClient client(runtime_, hub_, setup_with());
    const auto context = client.ok({{"op", "context_new"}})["context"];
    client.async_ok(
        {{"op", "context_append"}, {"context", context}, {"tokens", fixture_tokens("tokens")}});
    client.ok({{"op", "context_fork"}, {"context", context}});
    client.ok({{"op", "context_save"}, {"context", context}, {"name", "kept"}});
    EXPECT_GT(runtime_->usage().pages_in_use, before);
    client.ok({{"op", "return"}, {"value", {{"done", true}}}});
    const auto outcome = client.close();
    EXPECT_EQ(outcome.kind, ProgramOutcome::Kind::returned);
    EXPECT_EQ(outcome.value, (json{{"done", true}}));
  }
  EXPECT_EQ(runtime_->usage().snapshot_references, runtime_->usage().pages_in_use - before);
  runtime_->remove_snapshot("kept");
  EXPECT_EQ(runtime_->usage().pages_in_use, before);
}

TEST_F(ProgramSessionTest, TheContextLimitIsEnforced) {
  ProgramClient client(runtime_, hub_, setup_with(json::object(), 0, 2));
  client.ok({{"op", "context_new"}});
  client.ok({{"op", "context_new"}});
  EXPECT_EQ(client.call({{"op", "context_new"}})["error"]["code"], "resource_exhausted");
}

TEST_F(ProgramSessionTest, ConstraintsRestrictSampledTokensAndAdvance) {
  ProgramClient client(runtime_, hub_, setup_with());
  const auto matcher =
      client.ok({{"op", "matcher_new"}, {"kind", "regex"}, {"source", "[0-9]+"}})["matcher"];
  const auto mask = client.ok({{"op", "matcher_mask"}, {"matcher", matcher}})["mask"];
  const auto allowed = mask_from_brle(mask.get<std::vector<int64_t>>(), 512);
  ASSERT_GT(allowed.count(), 0);
  for (int32_t id = 0; id < 512; ++id) {
    if (!allowed.allows(id)) continue;
    const auto text = runtime_->token_bytes(id);
    EXPECT_FALSE(text.empty());
    for (char c : text) EXPECT_TRUE(c >= '0' && c <= '9') << "token " << id << " '" << text << "'";
  }
  const auto context = client.ok({{"op", "context_new"}})["context"];
  json forward = {{"op", "forward"}, {"context", context}, {"tokens", fixture_tokens("tokens")}};
  forward["constraints"] = json::array({matcher});
  forward["samplers"] = json::array(
      {{{"rows", json::array({31})}, {"sampler", {{"kind", "top_k"}, {"k", 5}, {"seed", 1}}}}});
  const auto result = client.async_ok(forward);
  const int32_t token = result["samples"][0][0].get<int32_t>();
  EXPECT_TRUE(allowed.allows(token));
  EXPECT_EQ(client.ok({{"op", "matcher_state"}, {"matcher", matcher}})["accepted_tokens"], 1);
}

TEST_F(ProgramSessionTest, MessagesGoBetweenProgramsAndFromTheClient) {
  std::vector<std::string> sent;
  auto recording = setup_with();
  recording.on_send = [&](const std::string& message) { sent.push_back(message); };
  ProgramClient first(runtime_, hub_, std::move(recording));
  ProgramClient second(runtime_, hub_, setup_with());
  first.ok({{"op", "push"}, {"topic", "work"}, {"message", "job 1"}});
  EXPECT_EQ(second.async_ok({{"op", "pull"}, {"topic", "work"}})["message"], "job 1");
  const auto subscription = second.ok({{"op", "subscribe"}, {"topic", "news"}})["subscription"];
  first.ok({{"op", "broadcast"}, {"topic", "news"}, {"message", "hello"}});
  EXPECT_EQ(
      second.async_ok({{"op", "subscription_next"}, {"subscription", subscription}})["message"],
      "hello");
  first.session().deliver("from the client");
  EXPECT_EQ(first.async_ok({{"op", "session_receive"}})["message"], "from the client");
  first.session().end_input();
  EXPECT_EQ(first.async({{{"op", "session_receive"}}})[0]["error"]["code"], "not_found");
  first.ok({{"op", "session_send"}, {"message", "progress"}});
  EXPECT_EQ(sent, std::vector<std::string>{"progress"});
}

TEST(Brle, RunsAlternateStartingWithDisallowed) {
  const auto mask = mask_from_brle({3, 2, 1, 1}, 8);
  std::vector<bool> allowed;
  for (int32_t id = 0; id < 8; ++id) allowed.push_back(mask.allows(id));
  EXPECT_EQ(allowed, (std::vector<bool>{false, false, false, true, true, false, true, false}));
  EXPECT_EQ(brle_from_mask(mask), (std::vector<int64_t>{3, 2, 1, 1}));
  EXPECT_EQ(brle_from_mask(TokenMask(4, true)), (std::vector<int64_t>{0, 4}));
  EXPECT_TRUE(brle_from_mask(TokenMask(4, false)).empty());
  EXPECT_THROW(mask_from_brle({3, 6}, 8), Error);
  EXPECT_THROW(mask_from_brle({-1}, 8), Error);
}

}  // namespace
}  // namespace weft::program
