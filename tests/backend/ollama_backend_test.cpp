// The ollama backend against an in-process fake Ollama server speaking the real API shapes
// (NDJSON lines as documented in the Ollama API reference and PROTOCOLS.md §4).
#include "backend/ollama_backend.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include <nlohmann/json.hpp>
#include <thread>

#include "backend/http_probe.hpp"
#include "support/fake_http_server.hpp"
#include "support/scoped_environment.hpp"
#include "support/stream_helpers.hpp"
#include "support/text_pieces.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kNdjson = "application/x-ndjson";

std::string line(const json& object) {
  return object.dump() + "\n";
}

json content_line(const std::string& text) {
  return {{"model", "m"},
          {"created_at", "2024-07-01T00:00:00Z"},
          {"message", {{"role", "assistant"}, {"content", text}}},
          {"done", false}};
}

json final_line(const std::string& reason, uint64_t prompt_count, uint64_t eval_count) {
  return {{"model", "m"},
          {"message", {{"role", "assistant"}, {"content", ""}}},
          {"done", true},
          {"done_reason", reason},
          {"total_duration", 900000000},
          {"load_duration", 100000000},
          {"prompt_eval_count", prompt_count},
          {"prompt_eval_duration", 200000000},
          {"eval_count", eval_count},
          {"eval_duration", 500000000}};
}

// What the fake server saw of the last request.
struct SeenOllamaRequest {
  std::mutex mutex;
  std::string path;
  std::string body;
  void record(const httplib::Request& request) {
    std::lock_guard lock(mutex);
    path = request.path;
    body = request.body;
  }
  json body_json() {
    std::lock_guard lock(mutex);
    return json::parse(body);
  }
};

class OllamaBackendTest : public ::testing::Test {
 protected:
  OllamaConfig config() {
    OllamaConfig config;
    config.base_url = server.base_url();
    config.timeouts.connect = 5s;
    config.timeouts.stall = 30s;
    config.probe_timeout = 5s;  // what is tested is the answer, not the limit
    return config;
  }

  GenerationRequest chat(const std::string& model = "m") {
    GenerationRequest request;
    request.model = model;
    request.messages = {{Role::user, "hi"}};
    return request;
  }

  // Members the handlers use are declared before the server, so they outlive it.
  SeenOllamaRequest seen;
  test::Gate client_gone;
  test::FakeHttpServer server;
};

TEST_F(OllamaBackendTest, StreamsTokensCutMidLineAndMidCharacter) {
  const std::vector<std::string> tokens = {"Hel", "lo, w\xC3\xB6rld", " \xF0\x9F\x99\x82", "!"};
  std::string body;
  for (const auto& token : tokens) body += line(content_line(token));
  body += line(final_line("stop", 26, 4));
  size_t umlaut = body.find("\xC3\xB6");
  size_t emoji = body.find("\xF0\x9F\x99\x82");
  server.routes().Post(
      "/api/chat", [&](const httplib::Request& request, httplib::Response& response) {
        seen.record(request);
        test::respond_in_pieces(
            response, kNdjson,
            test::cut_at(body, {7, umlaut + 1, emoji + 2, emoji + 3, body.size() - 5}));
      });
  server.start();

  OllamaBackend backend(config());
  auto stream = backend.generate(chat());
  auto events = test::collect_events(stream);

  ASSERT_FALSE(events.gave_up);
  EXPECT_EQ(events.tokens, tokens);
  EXPECT_EQ(events.terminal_count, 1);
  auto* done = test::as_done(events);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->reason, StopReason::end);
  EXPECT_EQ(done->backend, "ollama");
  json last = final_line("stop", 26, 4);
  EXPECT_EQ(done->usage.prompt_tokens, last["prompt_eval_count"].get<uint32_t>());
  EXPECT_EQ(done->usage.completion_tokens, last["eval_count"].get<uint32_t>());
  EXPECT_EQ(done->timings.total.count(), last["total_duration"].get<int64_t>());
  EXPECT_EQ(done->timings.load.count(), last["load_duration"].get<int64_t>());
  EXPECT_EQ(done->timings.prompt.count(), last["prompt_eval_duration"].get<int64_t>());
  EXPECT_EQ(done->timings.generation.count(), last["eval_duration"].get<int64_t>());
  EXPECT_GT(done->timings.first_token.count(), 0);
  EXPECT_EQ(seen.path, "/api/chat");
}

TEST_F(OllamaBackendTest, ConsumerGivesTheSameEventsWhereverTheBodyIsCut) {
  const std::vector<std::string> tokens = {"\xE4\xBD\xA0\xE5\xA5\xBD", " w\xC3\xB6rld"};
  std::string body;
  for (const auto& token : tokens) body += line(content_line(token));
  body += line(final_line("length", 3, 2));
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    GenerationChannel channel("ollama");
    GenerationStream stream(channel.state());
    auto consumer = make_ollama_stream_consumer(channel, "http://fake/api/chat");
    bool more = consumer->feed(body.substr(0, cut));
    if (more) more = consumer->feed(body.substr(cut));
    if (more) consumer->finish();
    auto events = test::collect_events(stream);
    ASSERT_EQ(events.tokens, tokens) << "cut at " << cut;
    auto* done = test::as_done(events);
    ASSERT_NE(done, nullptr) << "cut at " << cut;
    EXPECT_EQ(done->reason, StopReason::length);
  }
}

TEST_F(OllamaBackendTest, SendsModelMessagesAndOptionsAsOllamaNamesThem) {
  server.routes().Post("/api/show", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"details":{"family":"llama"}})", "application/json");
  });
  server.routes().Post(
      "/api/chat", [&](const httplib::Request& request, httplib::Response& response) {
        seen.record(request);
        test::respond_in_pieces(response, kNdjson, {line(final_line("stop", 1, 0))});
      });
  server.start();

  OllamaBackend backend(config());
  LoadOptions load;
  load.model_path = "llama3.2:1b";
  load.context_length = 4096;
  backend.load(load);
  GenerationRequest request;
  request.messages = {{Role::system, "be brief"}, {Role::user, "hi"}};
  request.options.max_tokens = 17;
  request.options.temperature = 0.5f;
  request.options.top_k = 5;
  request.options.top_p = 0.75f;
  request.options.min_p = 0.25f;
  request.options.seed = 99;
  request.options.stop = {"END"};
  request.options.repeat_penalty = 1.25f;
  request.options.presence_penalty = 0.125f;
  request.options.frequency_penalty = 0.375f;
  auto stream = backend.generate(request);
  auto events = test::collect_events(stream);
  ASSERT_NE(test::as_done(events), nullptr);

  json sent = seen.body_json();
  EXPECT_EQ(sent["model"], "llama3.2:1b");
  EXPECT_EQ(sent["stream"], true);
  EXPECT_EQ(sent["messages"], (json{{{"role", "system"}, {"content", "be brief"}},
                                    {{"role", "user"}, {"content", "hi"}}}));
  const json& options = sent["options"];
  EXPECT_EQ(options["num_predict"], 17);
  EXPECT_EQ(options["temperature"], 0.5);
  EXPECT_EQ(options["top_k"], 5);
  EXPECT_EQ(options["top_p"], 0.75);
  EXPECT_EQ(options["min_p"], 0.25);
  EXPECT_EQ(options["seed"], 99);
  EXPECT_EQ(options["stop"], (json{"END"}));
  EXPECT_EQ(options["repeat_penalty"], 1.25);
  EXPECT_EQ(options["presence_penalty"], 0.125);
  EXPECT_EQ(options["frequency_penalty"], 0.375);
  EXPECT_EQ(options["num_ctx"], 4096);
}

TEST_F(OllamaBackendTest, RawPromptUsesGenerateWithRawTrue) {
  server.routes().Post(
      "/api/generate", [&](const httplib::Request& request, httplib::Response& response) {
        seen.record(request);
        test::respond_in_pieces(
            response, kNdjson,
            {line({{"model", "m"}, {"response", "Once"}, {"done", false}}),
             line({{"model", "m"}, {"response", ""}, {"done", true}, {"done_reason", "stop"}})});
      });
  server.start();
  OllamaBackend backend(config());
  GenerationRequest request = chat();
  request.raw_prompt = true;
  auto stream = backend.generate(request);
  auto events = test::collect_events(stream);
  EXPECT_EQ(events.text, "Once");
  ASSERT_NE(test::as_done(events), nullptr);
  EXPECT_EQ(seen.path, "/api/generate");
  EXPECT_EQ(seen.body_json()["raw"], true);
  EXPECT_EQ(seen.body_json()["prompt"], "hi");
}

TEST_F(OllamaBackendTest, DoneReasonLengthEndsWithLength) {
  server.routes().Post("/api/chat", [&](const httplib::Request&, httplib::Response& response) {
    test::respond_in_pieces(response, kNdjson,
                            {line(content_line("a")), line(final_line("length", 1, 1))});
  });
  server.start();
  OllamaBackend backend(config());
  auto stream = backend.generate(chat());
  auto events = test::collect_events(stream);
  ASSERT_NE(test::as_done(events), nullptr);
  EXPECT_EQ(test::as_done(events)->reason, StopReason::length);
}

TEST_F(OllamaBackendTest, MissingModelIsAnErrorEventWithStatusAndServerMessage) {
  const std::string message = "model \"nope\" not found, try pulling it first";
  server.routes().Post("/api/chat", [&](const httplib::Request&, httplib::Response& response) {
    response.status = 404;
    response.set_content(json{{"error", message}}.dump(), "application/json");
  });
  server.start();
  OllamaBackend backend(config());
  auto stream = backend.generate(chat("nope"));
  auto events = test::collect_events(stream);
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(events.terminal_count, 1);
  EXPECT_EQ(error->code, ErrorCode::invalid_request);
  EXPECT_NE(error->message.find("404"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find(message), std::string::npos) << error->message;
}

TEST_F(OllamaBackendTest, LoadingAMissingModelThrowsWithTheServerMessage) {
  const std::string message = "model 'nope' not found";
  server.routes().Post("/api/show", [&](const httplib::Request&, httplib::Response& response) {
    response.status = 404;
    response.set_content(json{{"error", message}}.dump(), "application/json");
  });
  server.start();
  OllamaBackend backend(config());
  LoadOptions load;
  load.model_path = "nope";
  try {
    backend.load(load);
    FAIL() << "load succeeded";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::invalid_request);
    EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << error.what();
  }
}

TEST_F(OllamaBackendTest, ServerErrorIsAnErrorEventWithStatusAndServerMessage) {
  const std::string message = "llama runner process has terminated: signal: killed";
  server.routes().Post("/api/chat", [&](const httplib::Request&, httplib::Response& response) {
    response.status = 500;
    response.set_content(json{{"error", message}}.dump(), "application/json");
  });
  server.start();
  OllamaBackend backend(config());
  auto stream = backend.generate(chat());
  auto events = test::collect_events(stream);
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::backend_unavailable);
  EXPECT_NE(error->message.find("500"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find(message), std::string::npos) << error->message;
}

TEST_F(OllamaBackendTest, AnErrorLineMidStreamIsAnErrorEvent) {
  const std::string message = "an error was encountered while running the model";
  server.routes().Post("/api/chat", [&](const httplib::Request&, httplib::Response& response) {
    test::respond_in_pieces(response, kNdjson,
                            {line(content_line("a")), line({{"error", message}})});
  });
  server.start();
  OllamaBackend backend(config());
  auto stream = backend.generate(chat());
  auto events = test::collect_events(stream);
  EXPECT_EQ(events.text, "a");
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(error->message.find(message), std::string::npos) << error->message;
}

TEST_F(OllamaBackendTest, StalledServerEndsWithAnErrorEvent) {
  server.routes().Post("/api/chat", [&](const httplib::Request&, httplib::Response& response) {
    response.set_chunked_content_provider(kNdjson, [&](size_t, httplib::DataSink& sink) {
      std::string first = line(content_line("a"));
      sink.write(first.data(), first.size());
      server.shutdown_gate().wait_for(60s);  // then says nothing more
      return false;
    });
  });
  server.start();
  OllamaConfig short_stall = config();
  short_stall.timeouts.stall = 200ms;
  OllamaBackend backend(short_stall);
  auto stream = backend.generate(chat());
  auto events = test::collect_events(stream);
  ASSERT_FALSE(events.gave_up);
  EXPECT_EQ(events.text, "a");
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::backend_unavailable);
  EXPECT_NE(error->message.find("no data"), std::string::npos) << error->message;
}

TEST_F(OllamaBackendTest, ServerClosingMidStreamEndsWithAnErrorEvent) {
  server.routes().Post("/api/chat", [&](const httplib::Request&, httplib::Response& response) {
    response.set_chunked_content_provider(kNdjson, [&](size_t, httplib::DataSink& sink) {
      std::string first = line(content_line("a")) + line(content_line("bc")).substr(0, 20);
      sink.write(first.data(), first.size());
      return false;  // httplib drops the connection without ending the chunked body
    });
  });
  server.start();
  OllamaBackend backend(config());
  auto stream = backend.generate(chat());
  auto events = test::collect_events(stream);
  ASSERT_FALSE(events.gave_up);
  EXPECT_EQ(events.text, "a");
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::backend_unavailable);
}

TEST_F(OllamaBackendTest, BodyEndingWithoutTheDoneLineIsAnErrorEvent) {
  server.routes().Post("/api/chat", [&](const httplib::Request&, httplib::Response& response) {
    test::respond_in_pieces(response, kNdjson, {line(content_line("a"))});
  });
  server.start();
  OllamaBackend backend(config());
  auto stream = backend.generate(chat());
  auto events = test::collect_events(stream);
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(error->message.find("done"), std::string::npos) << error->message;
}

TEST_F(OllamaBackendTest, CancelMidStreamEndsWithDoneCancelledAndDropsTheConnection) {
  server.routes().Post("/api/chat", [&](const httplib::Request&, httplib::Response& response) {
    response.set_chunked_content_provider(kNdjson, [&](size_t, httplib::DataSink& sink) {
      std::string token = line(content_line("w"));
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
  OllamaBackend backend(config());
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
  // The transfer itself was aborted: the server's writes start failing.
  EXPECT_TRUE(client_gone.wait_for(20s));
}

TEST_F(OllamaBackendTest, ListsModelsAndReadsModelInfo) {
  server.routes().Get("/api/tags", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(
        R"({"models":[{"name":"qwen2:0.5b","model":"qwen2:0.5b"},{"name":"llama3.2:1b"}]})",
        "application/json");
  });
  server.routes().Post(
      "/api/show", [&](const httplib::Request& request, httplib::Response& response) {
        seen.record(request);
        response.set_content(
            R"({"template":"{{ .Prompt }}","details":{"family":"qwen2","quantization_level":"Q4_0"},
        "model_info":{"general.architecture":"qwen2","general.parameter_count":494032768,
                      "qwen2.context_length":32768,"qwen2.vocab_size":151936}})",
            "application/json");
      });
  server.start();
  OllamaBackend backend(config());
  EXPECT_EQ(backend.list_models(), (std::vector<std::string>{"qwen2:0.5b", "llama3.2:1b"}));
  EXPECT_TRUE(backend.available().available);

  backend.load({});  // no name: the first model the server lists
  EXPECT_EQ(seen.body_json()["model"], "qwen2:0.5b");
  ModelInfo info = backend.model_info();
  EXPECT_EQ(info.name, "qwen2:0.5b");
  EXPECT_EQ(info.architecture, "qwen2");
  EXPECT_EQ(info.quantization, "Q4_0");
  EXPECT_EQ(info.context_length, 32768u);
}

// The probe gives up at its timeout: a server that answers /api/tags only after 1.5 s counts
// as unavailable, and the probe (available() with the default 500 ms) returns before that
// answer was written: an order of events, not a speed requirement.
TEST_F(OllamaBackendTest, ProbeOfAServerAnsweringLateGivesUpAtItsTimeout) {
  // Shared with the handler, which finishes only when the server shuts down, after this body.
  auto answered = std::make_shared<std::atomic<bool>>(false);
  server.routes().Get("/api/tags",
                      [this, answered](const httplib::Request&, httplib::Response& response) {
                        server.shutdown_gate().wait_for(1500ms);
                        response.set_content(R"({"models":[]})", "application/json");
                        *answered = true;
                      });
  server.start();
  OllamaConfig defaults = config();
  defaults.probe_timeout = OllamaConfig{}.probe_timeout;
  ASSERT_EQ(defaults.probe_timeout, 500ms);
  OllamaBackend backend(defaults);

  const auto availability = backend.available();
  EXPECT_FALSE(answered->load()) << "the probe waited for the late answer";
  EXPECT_FALSE(availability.available);
  EXPECT_NE(availability.reason.find("within 500 ms"), std::string::npos) << availability.reason;
}

// The probe's HTTP helper on its own. A server of its own: one stalled request per server, so
// that no two of the fake server's handler threads run at once (cpp-httplib's workers then
// race inside the uninstrumented library, which ThreadSanitizer reports).
TEST_F(OllamaBackendTest, HttpGetGivesUpAtItsTimeout) {
  // Shared with the handler, which finishes only when the server shuts down, after this body.
  auto answered = std::make_shared<std::atomic<bool>>(false);
  server.routes().Get("/api/tags",
                      [this, answered](const httplib::Request&, httplib::Response& response) {
                        server.shutdown_gate().wait_for(1500ms);
                        response.set_content(R"({"models":[]})", "application/json");
                        *answered = true;
                      });
  server.start();
  EXPECT_FALSE(http_get_succeeds(server.base_url() + "/api/tags", 500ms));
  EXPECT_FALSE(answered->load()) << "the request waited for the late answer";
}

// Ollama accepts OLLAMA_HOST as host:port without a scheme; a trailing slash is dropped.
TEST_F(OllamaBackendTest, OllamaHostWithoutASchemeReachesTheServer) {
  server.routes().Get("/api/tags", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"models":[{"name":"m1"}]})", "application/json");
  });
  server.start();
  const std::string scheme = "http://";
  ASSERT_EQ(server.base_url().rfind(scheme, 0), 0u);
  test::ScopedEnvironment environment;
  environment.set("OLLAMA_HOST", server.base_url().substr(scheme.size()) + "/");
  EXPECT_EQ(ollama_base_url(), server.base_url());
  OllamaBackend backend;  // configured from the environment
  EXPECT_TRUE(backend.available().available);
  EXPECT_EQ(backend.list_models(), std::vector<std::string>{"m1"});
}

TEST(OllamaHost, DefaultsToLocalhostPort11434) {
  test::ScopedEnvironment environment;
  environment.set("OLLAMA_HOST", std::nullopt);
  EXPECT_EQ(ollama_base_url(), "http://localhost:11434");
  EXPECT_EQ(OllamaConfig::from_environment().base_url, "http://localhost:11434");
  environment.set("OLLAMA_HOST", "");  // set but empty: the default too
  EXPECT_EQ(ollama_base_url(), "http://localhost:11434");
  environment.set("OLLAMA_HOST", "https://ollama.example:8443");
  EXPECT_EQ(ollama_base_url(), "https://ollama.example:8443");
}

// Ollama's own reading of OLLAMA_HOST (envconfig.Host): without a scheme the port is 11434,
// not http's 80, so "0.0.0.0" (a server's usual bind setting) still reaches the server.
TEST(OllamaHost, WithoutASchemeAMissingPortIs11434) {
  test::ScopedEnvironment environment;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0.0.0.0", "http://0.0.0.0:11434"},        {"gpu-box", "http://gpu-box:11434"},
      {"gpu-box:8080", "http://gpu-box:8080"},    {"gpu-box:", "http://gpu-box:11434"},
      {":8080", "http://localhost:8080"},         {"[::1]", "http://[::1]:11434"},
      {"[::1]:8080", "http://[::1]:8080"},        {"::1", "http://[::1]:11434"},
      {" gpu-box:8080/ ", "http://gpu-box:8080"}, {"http://gpu-box", "http://gpu-box"},
  };
  for (const auto& [value, url] : cases) {
    environment.set("OLLAMA_HOST", value);
    EXPECT_EQ(ollama_base_url(), url) << "OLLAMA_HOST='" << value << "'";
  }
}

TEST(OllamaBackendUnreachable, IsUnavailableWithAReasonAndGenerationFails) {
  OllamaConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(test::unused_local_port());
  OllamaBackend backend(config);
  auto availability = backend.available();
  EXPECT_FALSE(availability.available);
  EXPECT_NE(availability.reason.find(config.base_url + "/api/tags"), std::string::npos)
      << availability.reason;
  EXPECT_THROW(backend.list_models(), Error);

  auto stream = backend.generate([] {
    GenerationRequest request;
    request.model = "m";
    request.messages = {{Role::user, "hi"}};
    return request;
  }());
  auto events = test::collect_events(stream);
  auto* error = test::as_error(events);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::backend_unavailable);
  EXPECT_NE(error->message.find(config.base_url), std::string::npos) << error->message;
}

}  // namespace
}  // namespace weft::backend
