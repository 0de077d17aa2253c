// The openai backend against an in-process fake OpenAI-compatible server speaking the real
// API shapes (SSE `data:` chunks, `[DONE]`, `{"error":{...}}` bodies; PROTOCOLS.md §4).
#include "backend/openai_backend.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "support/fake_http_server.hpp"
#include "support/scoped_environment.hpp"
#include "support/stream_helpers.hpp"
#include "support/text_pieces.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kEventStream = "text/event-stream";

std::string event(const json& object) {
  return "data: " + object.dump() + "\n\n";
}
const std::string kDone = "data: [DONE]\n\n";

json delta_chunk(const std::string& text) {
  return {
      {"id", "chatcmpl-1"},
      {"object", "chat.completion.chunk"},
      {"created", 1700000000},
      {"model", "m"},
      {"choices", {{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}}}};
}

json finish_chunk(const std::string& reason) {
  return {{"id", "chatcmpl-1"},
          {"object", "chat.completion.chunk"},
          {"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", reason}}}}};
}

json usage_chunk(uint32_t prompt, uint32_t completion) {
  return {{"id", "chatcmpl-1"},
          {"object", "chat.completion.chunk"},
          {"choices", json::array()},
          {"usage",
           {{"prompt_tokens", prompt},
            {"completion_tokens", completion},
            {"total_tokens", prompt + completion}}}};
}

json error_body(const std::string& message, const std::string& type, const std::string& code) {
  return {{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}};
}

struct SeenOpenAiRequest {
  std::mutex mutex;
  std::string path;
  std::string body;
  std::string authorization;
  void record(const httplib::Request& request) {
    std::lock_guard lock(mutex);
    path = request.path;
    body = request.body;
    authorization = request.get_header_value("Authorization");
  }
  json body_json() {
    std::lock_guard lock(mutex);
    return json::parse(body);
  }
};

class OpenAiBackendTest : public ::testing::Test {
 protected:
  OpenAiConfig config() {
    OpenAiConfig config;
    config.base_url = server.base_url();
    config.model = "m";
    config.timeouts.connect = 5s;
    config.timeouts.stall = 30s;
    config.probe_timeout = 5s;  // what is tested is the answer, not the limit
    return config;
  }

  GenerationRequest chat() {
    GenerationRequest request;
    request.messages = {{Role::user, "hi"}};
    return request;
  }

  void answer_chat_with(std::vector<std::string> pieces) {
    server.routes().Post("/v1/chat/completions", [this, pieces](const httplib::Request& request,
                                                                httplib::Response& response) {
      seen.record(request);
      test::respond_in_pieces(response, kEventStream, pieces);
    });
  }

  void answer_chat_with_status(int status, std::string body) {
    server.routes().Post("/v1/chat/completions",
                         [status, body](const httplib::Request&, httplib::Response& response) {
                           response.status = status;
                           response.set_content(body, "application/json");
                         });
  }

  test::CollectedEvents run(const OpenAiConfig& settings, GenerationRequest request) {
    OpenAiBackend backend(settings);
    backend.load({});
    auto stream = backend.generate(request);
    return test::collect_events(stream);
  }

  SeenOpenAiRequest seen;
  test::Gate client_gone;
  test::FakeHttpServer server;
};

TEST_F(OpenAiBackendTest, StreamsTokensCutMidLineAndMidCharacterAndReportsUsage) {
  const std::vector<std::string> tokens = {"Bon", "jour, ", "ch\xC3\xA8re", " \xF0\x9F\x8C\x8D"};
  std::string body = ": ping\n\n";  // a comment, as some servers send to keep the line open
  for (const auto& token : tokens) body += event(delta_chunk(token));
  body += event(finish_chunk("stop")) + event(usage_chunk(11, 4)) + kDone;
  size_t accent = body.find("\xC3\xA8");
  size_t globe = body.find("\xF0\x9F\x8C\x8D");
  size_t done = body.find(kDone);
  answer_chat_with(test::cut_at(body, {3, 9, accent + 1, globe + 1, globe + 3, done + 8}));
  server.start();

  auto events = run(config(), chat());
  ASSERT_FALSE(events.gave_up);
  EXPECT_EQ(events.tokens, tokens);
  EXPECT_EQ(events.terminal_count, 1);
  auto* finished = test::as_done(events);
  ASSERT_NE(finished, nullptr);
  EXPECT_EQ(finished->reason, StopReason::end);
  EXPECT_EQ(finished->backend, "openai");
  EXPECT_EQ(finished->usage.prompt_tokens, 11u);
  EXPECT_EQ(finished->usage.completion_tokens, 4u);
  EXPECT_GT(finished->timings.total.count(), 0);
  EXPECT_EQ(seen.path, "/v1/chat/completions");
}

TEST_F(OpenAiBackendTest, ConsumerGivesTheSameEventsWhereverTheBodyIsCut) {
  const std::vector<std::string> tokens = {"\xE4\xBD\xA0\xE5\xA5\xBD", " w\xC3\xB6rld"};
  std::string body;
  for (const auto& token : tokens) body += event(delta_chunk(token));
  body += event(finish_chunk("length")) + event(usage_chunk(3, 2)) + kDone;
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    GenerationChannel channel("openai");
    GenerationStream stream(channel.state());
    auto consumer = make_openai_stream_consumer(channel, "http://fake/v1/chat/completions");
    bool more = consumer->feed(body.substr(0, cut));
    if (more) more = consumer->feed(body.substr(cut));
    if (more) consumer->finish();
    auto events = test::collect_events(stream);
    ASSERT_EQ(events.tokens, tokens) << "cut at " << cut;
    auto* done = test::as_done(events);
    ASSERT_NE(done, nullptr) << "cut at " << cut;
    EXPECT_EQ(done->reason, StopReason::length);
    EXPECT_EQ(done->usage.completion_tokens, 2u);
  }
}

TEST_F(OpenAiBackendTest, SendsModelMessagesOptionsAndTheApiKey) {
  answer_chat_with({event(finish_chunk("stop")), kDone});
  server.start();
  OpenAiConfig settings = config();
  settings.api_key = "sk-test-123";
  settings.base_url += "/v1/";  // the usual OPENAI_BASE_URL spelling names the same server
  GenerationRequest request;
  request.model = "served-model";
  request.messages = {{Role::system, "sys"}, {Role::user, "hi"}};
  request.options.max_tokens = 12;
  request.options.temperature = 0.5f;
  request.options.top_p = 0.75f;
  request.options.seed = 5;
  request.options.stop = {"END", "STOP"};
  request.options.presence_penalty = 0.25f;
  request.options.frequency_penalty = 0.125f;
  request.options.top_k = 3;
  auto events = run(settings, request);
  ASSERT_NE(test::as_done(events), nullptr);

  EXPECT_EQ(seen.path, "/v1/chat/completions");
  EXPECT_EQ(seen.authorization, "Bearer sk-test-123");
  json sent = seen.body_json();
  EXPECT_EQ(sent["model"], "served-model");
  EXPECT_EQ(sent["stream"], true);
  EXPECT_EQ(sent["stream_options"]["include_usage"], true);
  EXPECT_EQ(sent["messages"], (json{{{"role", "system"}, {"content", "sys"}},
                                    {{"role", "user"}, {"content", "hi"}}}));
  EXPECT_EQ(sent["max_tokens"], 12);
  EXPECT_EQ(sent["temperature"], 0.5);
  EXPECT_EQ(sent["top_p"], 0.75);
  EXPECT_EQ(sent["seed"], 5);
  EXPECT_EQ(sent["stop"], (json{"END", "STOP"}));
  EXPECT_EQ(sent["presence_penalty"], 0.25);
  EXPECT_EQ(sent["frequency_penalty"], 0.125);
  EXPECT_EQ(sent["top_k"], 3);
  EXPECT_FALSE(sent.contains("min_p"));
}

TEST_F(OpenAiBackendTest, RawPromptUsesCompletions) {
  server.routes().Post(
      "/v1/completions", [&](const httplib::Request& request, httplib::Response& response) {
        seen.record(request);
        json chunk = {{"object", "text_completion"},
                      {"choices", {{{"index", 0}, {"text", "Once"}, {"finish_reason", nullptr}}}}};
        test::respond_in_pieces(response, kEventStream, {event(chunk), kDone});
      });
  server.start();
  GenerationRequest request = chat();
  request.raw_prompt = true;
  auto events = run(config(), request);
  EXPECT_EQ(events.text, "Once");
  ASSERT_NE(test::as_done(events), nullptr);
  EXPECT_EQ(seen.path, "/v1/completions");
  EXPECT_EQ(seen.body_json()["prompt"], "hi");
}

TEST_F(OpenAiBackendTest, FinishReasonLengthEndsWithLength) {
  answer_chat_with({event(delta_chunk("a")), event(finish_chunk("length")), kDone});
  server.start();
  auto events = run(config(), chat());
  ASSERT_NE(test::as_done(events), nullptr);
  EXPECT_EQ(test::as_done(events)->reason, StopReason::length);
}

TEST_F(OpenAiBackendTest, AuthFailureIsAnErrorEventWithStatusMessageTypeAndCode) {
  answer_chat_with_status(
      401,
      error_body("Incorrect API key provided", "invalid_request_error", "invalid_api_key").dump());
  server.start();
  auto events = run(config(), chat());
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(events.terminal_count, 1);
  EXPECT_EQ(error->code, ErrorCode::invalid_request);
  for (const char* part :
       {"401", "Incorrect API key provided", "invalid_request_error", "invalid_api_key"}) {
    EXPECT_NE(error->message.find(part), std::string::npos)
        << part << " missing from " << error->message;
  }
}

TEST_F(OpenAiBackendTest, MissingModelIsAnErrorEventWithTheServerMessage) {
  answer_chat_with_status(
      404,
      error_body("The model `nope` does not exist.", "NotFoundError", "model_not_found").dump());
  server.start();
  GenerationRequest request = chat();
  request.model = "nope";
  auto events = run(config(), request);
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::invalid_request);
  EXPECT_NE(error->message.find("404"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find("The model `nope` does not exist."), std::string::npos)
      << error->message;
}

TEST_F(OpenAiBackendTest, ServerErrorAndRateLimitMapToTheirCodes) {
  answer_chat_with_status(503, error_body("overloaded", "server_error", "overloaded").dump());
  server.start();
  auto events = run(config(), chat());
  ASSERT_NE(test::as_error(events), nullptr);
  EXPECT_EQ(test::as_error(events)->code, ErrorCode::backend_unavailable);
  EXPECT_EQ(error_code_for_http_status(429), ErrorCode::queue_full);
}

TEST_F(OpenAiBackendTest, AnErrorChunkMidStreamIsAnErrorEvent) {
  answer_chat_with(
      {event(delta_chunk("a")), event(error_body("CUDA out of memory", "server_error", "oom"))});
  server.start();
  auto events = run(config(), chat());
  EXPECT_EQ(events.text, "a");
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(error->message.find("CUDA out of memory"), std::string::npos) << error->message;
}

TEST_F(OpenAiBackendTest, StalledServerEndsWithAnErrorEvent) {
  server.routes().Post(
      "/v1/chat/completions", [&](const httplib::Request&, httplib::Response& response) {
        response.set_chunked_content_provider(kEventStream, [&](size_t, httplib::DataSink& sink) {
          std::string first = event(delta_chunk("a"));
          sink.write(first.data(), first.size());
          server.shutdown_gate().wait_for(60s);  // then says nothing more
          return false;
        });
      });
  server.start();
  OpenAiConfig short_stall = config();
  short_stall.timeouts.stall = 200ms;
  auto events = run(short_stall, chat());
  ASSERT_FALSE(events.gave_up);
  EXPECT_EQ(events.text, "a");
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::backend_unavailable);
  EXPECT_NE(error->message.find("no data"), std::string::npos) << error->message;
}

TEST_F(OpenAiBackendTest, ServerClosingMidStreamEndsWithAnErrorEvent) {
  server.routes().Post(
      "/v1/chat/completions", [&](const httplib::Request&, httplib::Response& response) {
        response.set_chunked_content_provider(kEventStream, [&](size_t, httplib::DataSink& sink) {
          std::string first = event(delta_chunk("a")) + event(delta_chunk("bc")).substr(0, 25);
          sink.write(first.data(), first.size());
          return false;  // httplib drops the connection without ending the chunked body
        });
      });
  server.start();
  auto events = run(config(), chat());
  ASSERT_FALSE(events.gave_up);
  EXPECT_EQ(events.text, "a");
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::backend_unavailable);
}

TEST_F(OpenAiBackendTest, BodyEndingBeforeDoneOrFinishIsAnErrorEvent) {
  answer_chat_with({event(delta_chunk("a"))});
  server.start();
  auto events = run(config(), chat());
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(error->message.find("[DONE]"), std::string::npos) << error->message;
}

TEST_F(OpenAiBackendTest, CancelMidStreamEndsWithDoneCancelledAndDropsTheConnection) {
  server.routes().Post(
      "/v1/chat/completions", [&](const httplib::Request&, httplib::Response& response) {
        response.set_chunked_content_provider(kEventStream, [&](size_t, httplib::DataSink& sink) {
          std::string token = event(delta_chunk("w"));
          while (!server.shutdown_gate().is_open()) {
            if (!sink.write(token.data(), token.size())) {
              client_gone.open();
              return false;
            }
            server.shutdown_gate().wait_for(5ms);
          }
          return false;
        });
      });
  server.start();
  OpenAiBackend backend(config());
  backend.load({});
  auto stream = backend.generate(chat());
  test::CollectedEvents events;
  ASSERT_TRUE(test::wait_for_first_token(stream, events));
  // Another thread cancels while this one is reading (blocked in next() between the
  // server's writes).
  std::thread canceller([&] {
    std::this_thread::sleep_for(20ms);
    stream.cancel();
  });
  auto rest = test::collect_events(stream);
  canceller.join();
  auto* done = test::as_done(rest);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->reason, StopReason::cancelled);
  EXPECT_EQ(rest.terminal_count, 1);
  EXPECT_TRUE(client_gone.wait_for(20s));
}

// WEFT_OPENAI_API_KEY wins over OPENAI_API_KEY; OPENAI_API_KEY alone is used too. What the
// server sees as the bearer token is the check.
TEST_F(OpenAiBackendTest, WeftApiKeyTakesPrecedenceOverOpenAiApiKey) {
  server.routes().Get(
      "/v1/models", [&](const httplib::Request& request, httplib::Response& response) {
        seen.record(request);
        response.set_content(R"({"object":"list","data":[{"id":"m","object":"model"}]})",
                             "application/json");
      });
  server.start();
  test::ScopedEnvironment environment;
  environment.set("WEFT_OPENAI_BASE_URL", server.base_url());
  environment.set("WEFT_OPENAI_API_KEY", "sk-weft");
  environment.set("OPENAI_API_KEY", "sk-openai");
  EXPECT_TRUE(OpenAiBackend().available().available);
  EXPECT_EQ(seen.authorization, "Bearer sk-weft");

  environment.set("WEFT_OPENAI_API_KEY", std::nullopt);
  EXPECT_TRUE(OpenAiBackend().available().available);
  EXPECT_EQ(seen.authorization, "Bearer sk-openai");

  environment.set("OPENAI_API_KEY", std::nullopt);
  EXPECT_TRUE(OpenAiBackend().available().available);
  EXPECT_EQ(seen.authorization, "");
}

TEST_F(OpenAiBackendTest, ListsModelsChecksAvailabilityAndDefaultsToTheFirstModel) {
  server.routes().Get("/v1/models", [&](const httplib::Request& request,
                                        httplib::Response& response) {
    seen.record(request);
    response.set_content(
        R"({"object":"list","data":[{"id":"Qwen/Qwen2-0.5B","object":"model"},{"id":"other","object":"model"}]})",
        "application/json");
  });
  answer_chat_with({event(finish_chunk("stop")), kDone});
  server.start();
  OpenAiConfig settings = config();
  settings.model.clear();
  settings.api_key = "k";
  OpenAiBackend backend(settings);
  EXPECT_TRUE(backend.available().available);
  EXPECT_EQ(seen.authorization, "Bearer k");
  EXPECT_EQ(backend.list_models(), (std::vector<std::string>{"Qwen/Qwen2-0.5B", "other"}));
  backend.load({});
  EXPECT_EQ(backend.model_info().name, "Qwen/Qwen2-0.5B");
  auto stream = backend.generate(chat());
  auto events = test::collect_events(stream);
  ASSERT_NE(test::as_done(events), nullptr);
  EXPECT_EQ(seen.body_json()["model"], "Qwen/Qwen2-0.5B");
}

TEST_F(OpenAiBackendTest, UnauthorisedModelListMakesItUnavailableWithTheServerMessage) {
  server.routes().Get("/v1/models", [&](const httplib::Request&, httplib::Response& response) {
    response.status = 401;
    response.set_content(
        error_body("Missing bearer token", "invalid_request_error", "no_key").dump(),
        "application/json");
  });
  server.start();
  OpenAiBackend backend(config());
  auto availability = backend.available();
  EXPECT_FALSE(availability.available);
  EXPECT_NE(availability.reason.find("401"), std::string::npos) << availability.reason;
  EXPECT_NE(availability.reason.find("Missing bearer token"), std::string::npos)
      << availability.reason;
}

TEST(OpenAiBackendUnreachable, IsUnavailableWithAReasonAndGenerationFails) {
  OpenAiConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(test::unused_local_port());
  config.model = "m";
  OpenAiBackend backend(config);
  auto availability = backend.available();
  EXPECT_FALSE(availability.available);
  EXPECT_NE(availability.reason.find(config.base_url + "/v1/models"), std::string::npos)
      << availability.reason;
  EXPECT_THROW(backend.list_models(), Error);
  backend.load({});
  GenerationRequest request;
  request.messages = {{Role::user, "hi"}};
  auto stream = backend.generate(request);
  auto events = test::collect_events(stream);
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::backend_unavailable);
  EXPECT_NE(error->message.find(config.base_url), std::string::npos) << error->message;
}

}  // namespace
}  // namespace weft::backend
