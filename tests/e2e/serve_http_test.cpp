// `weft serve --http` end to end with a cpp-httplib client: the OpenAI and Ollama routes on
// the stub backend and on stories260K, SSE and NDJSON framing, errors in each API's shape,
// auth, CORS, the body limit, 429/503 with Retry-After, /health across the lifecycle, and a
// client that disconnects mid-stream cancelling its generation and freeing its KV pages.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/bundled_model.hpp"
#include "support/daemon_process.hpp"
#include "support/encoder_model.hpp"
#include "support/run_weft.hpp"
#include "support/shared_files.hpp"

namespace weft::testing {
namespace {

using nlohmann::json;

// The stub backend's canned answer, word by word (src/backend/stub_backend.hpp).
const std::string kStubFirstFour = "This is weft's stub";

struct HttpDaemon {
  uint16_t port = free_tcp_port();
  DaemonProcess daemon;

  HttpDaemon(std::vector<std::string> extra, std::map<std::string, std::string> env = {},
             std::vector<std::string> backend = {"--backend", "stub"})
      : daemon([&] {
          DaemonProcess::Options options;
          options.args = backend;
          options.args.push_back("--http");
          options.args.push_back("127.0.0.1:" + std::to_string(port));
          options.args.insert(options.args.end(), extra.begin(), extra.end());
          options.env = std::move(env);
          return options;
        }()) {}

  httplib::Client client() const {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(kPatience);
    return client;
  }

  // Polls /health until it answers `status` (a daemon still starting refuses connections).
  bool wait_for_health(int status) const {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < deadline) {
      auto result = client().Get("/health");
      if (result && result->status == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
};

json chat_body(int max_tokens, bool stream) {
  return {{"model", "stub"},
          {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})},
          {"max_tokens", max_tokens},
          {"stream", stream}};
}

httplib::Result post_json(httplib::Client& client, const std::string& path, const json& body,
                          const httplib::Headers& headers = {}) {
  return client.Post(path.c_str(), headers, body.dump(), "application/json");
}

// The JSON payloads of an SSE body's `data:` lines; `done` says whether [DONE] ended it.
std::vector<json> sse_events(const std::string& body, bool& done) {
  std::vector<json> events;
  done = false;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find("\n\n", start);
    EXPECT_NE(end, std::string::npos) << "every event ends with a blank line";
    if (end == std::string::npos) break;
    std::string event = body.substr(start, end - start);
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    std::string data = event.substr(6);
    EXPECT_FALSE(done) << "nothing after [DONE]";
    if (data == "[DONE]") {
      done = true;
    } else {
      events.push_back(json::parse(data));
    }
    start = end + 2;
  }
  return events;
}

std::vector<json> ndjson_lines(const std::string& body) {
  std::vector<json> lines;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    EXPECT_NE(end, std::string::npos) << "every line ends with a newline";
    if (end == std::string::npos) break;
    lines.push_back(json::parse(body.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

TEST(ServeHttp, ChatCompletionWholeAndStreamed) {
  HttpDaemon http({});
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();
  auto client = http.client();
  auto health = client.Get("/health");
  EXPECT_EQ(json::parse(health->body), json::parse(R"({"status":"ok"})"));

  auto whole = post_json(client, "/v1/chat/completions", chat_body(4, false));
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200) << whole->body;
  auto completion = json::parse(whole->body);
  EXPECT_EQ(completion["object"], "chat.completion");
  EXPECT_EQ(completion["model"], "stub");
  EXPECT_EQ(completion["choices"][0]["message"]["content"], kStubFirstFour);
  EXPECT_EQ(completion["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(completion["usage"]["completion_tokens"], 4);
  EXPECT_EQ(completion["usage"]["prompt_tokens_details"]["cached_tokens"], 0);

  json body = chat_body(4, true);
  body["stream_options"] = {{"include_usage", true}};
  auto streamed = post_json(client, "/v1/chat/completions", body);
  ASSERT_EQ(streamed->status, 200);
  EXPECT_EQ(streamed->get_header_value("Content-Type"), "text/event-stream");
  bool done = false;
  auto events = sse_events(streamed->body, done);
  EXPECT_TRUE(done);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front()["choices"][0]["delta"]["role"], "assistant");
  std::string content;
  std::string finish;
  for (const auto& event : events) {
    EXPECT_EQ(event["object"], "chat.completion.chunk");
    EXPECT_EQ(event["id"], events.front()["id"]) << "one id for the whole stream";
    for (const auto& choice : event["choices"]) {
      content += choice["delta"].value("content", "");
      if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
    }
  }
  EXPECT_EQ(content, kStubFirstFour);
  EXPECT_EQ(finish, "length");
  EXPECT_TRUE(events.back()["choices"].empty());
  EXPECT_EQ(events.back()["usage"]["completion_tokens"], 4);

  // n = 2: two choices, indexed.
  body = chat_body(2, false);
  body["n"] = 2;
  auto two = json::parse(post_json(client, "/v1/chat/completions", body)->body);
  ASSERT_EQ(two["choices"].size(), 2u);
  EXPECT_EQ(two["choices"][1]["index"], 1);
  EXPECT_EQ(two["usage"]["completion_tokens"], 4);
  EXPECT_TRUE(http.daemon.wait_for_log_line(
      {"http method=POST", "path=/v1/chat/completions", "status=200", "completion_tokens=4"}));
}

TEST(ServeHttp, CompletionsModelsAndMetrics) {
  HttpDaemon http({});
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();
  auto client = http.client();
  auto completion =
      post_json(client, "/v1/completions",
                {{"model", "stub"}, {"prompt", json::array({"a", "b"})}, {"max_tokens", 2}});
  ASSERT_EQ(completion->status, 200) << completion->body;
  auto object = json::parse(completion->body);
  EXPECT_EQ(object["object"], "text_completion");
  ASSERT_EQ(object["choices"].size(), 2u);
  EXPECT_EQ(object["choices"][0]["text"], "This is");

  auto models = json::parse(client.Get("/v1/models")->body);
  EXPECT_EQ(models["object"], "list");
  EXPECT_EQ(models["data"][0]["id"], "stub");

  auto metrics = client.Get("/metrics");
  ASSERT_EQ(metrics->status, 200);
  EXPECT_NE(
      metrics->body.find("weft_http_requests_total{route=\"/v1/completions\",status=\"200\"} 1"),
      std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("weft_completion_tokens_total 4"), std::string::npos);
  EXPECT_NE(metrics->body.find("weft_requests_queued 0"), std::string::npos);

  // The stub computes no embeddings: a 400 in OpenAI's shape.
  auto embeddings = post_json(client, "/v1/embeddings", {{"model", "stub"}, {"input", "x"}});
  EXPECT_EQ(embeddings->status, 400);
  EXPECT_TRUE(json::parse(embeddings->body)["error"].contains("message"));
}

TEST(ServeHttp, OllamaRoutes) {
  HttpDaemon http({});
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();
  auto client = http.client();
  auto root = client.Get("/");
  EXPECT_EQ(root->body, "Ollama is running");
  EXPECT_EQ(client.Head("/")->status, 200);

  json chat = {{"model", "stub:latest"},
               {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})},
               {"options", {{"num_predict", 3}}}};
  auto streamed = post_json(client, "/api/chat", chat);
  ASSERT_EQ(streamed->status, 200) << streamed->body;
  EXPECT_EQ(streamed->get_header_value("Content-Type"), "application/x-ndjson");
  auto lines = ndjson_lines(streamed->body);
  ASSERT_GE(lines.size(), 2u);
  std::string content;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["done"], false);
    content += lines[i]["message"]["content"].get<std::string>();
  }
  EXPECT_EQ(content, "This is weft's");
  const auto& last = lines.back();
  EXPECT_EQ(last["done"], true);
  EXPECT_EQ(last["done_reason"], "length");
  EXPECT_EQ(last["eval_count"], 3);
  EXPECT_GT(last["total_duration"].get<int64_t>(), 0);

  json generate = {
      {"model", "stub"}, {"prompt", "hi"}, {"stream", false}, {"options", {{"num_predict", 2}}}};
  auto whole = post_json(client, "/api/generate", generate);
  ASSERT_EQ(whole->status, 200) << whole->body;
  EXPECT_EQ(json::parse(whole->body)["response"], "This is");

  auto tags = json::parse(client.Get("/api/tags")->body);
  EXPECT_EQ(tags["models"][0]["name"], "stub:latest");
  auto show = post_json(client, "/api/show", {{"model", "stub"}});
  ASSERT_EQ(show->status, 200) << show->body;
  EXPECT_TRUE(json::parse(show->body)["capabilities"].is_array());
  EXPECT_EQ(json::parse(client.Get("/api/ps")->body)["models"].size(), 1u);
  EXPECT_TRUE(json::parse(client.Get("/api/version")->body)["version"].is_string());

  auto unknown = post_json(client, "/api/chat", {{"model", "llama9"}, {"messages", json::array()}});
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(json::parse(unknown->body), json::parse(R"({"error":"model 'llama9' not found"})"));
}

TEST(ServeHttp, ErrorsAreInEachApisShape) {
  HttpDaemon http({"--http-body-limit", "2048"});
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();
  auto client = http.client();
  auto bad_json = client.Post("/v1/chat/completions", "{nope", "application/json");
  EXPECT_EQ(bad_json->status, 400);
  EXPECT_EQ(json::parse(bad_json->body)["error"]["type"], "invalid_request_error");

  json body = chat_body(2, false);
  body["temperature"] = "hot";
  auto wrong_type = post_json(client, "/v1/chat/completions", body);
  EXPECT_EQ(wrong_type->status, 400);
  EXPECT_EQ(json::parse(wrong_type->body)["error"]["param"], "temperature");

  body = chat_body(2, false);
  body["model"] = "gpt-9";
  auto missing = json::parse(post_json(client, "/v1/chat/completions", body)->body);
  EXPECT_EQ(missing["error"]["code"], "model_not_found");

  body = chat_body(2, false);
  body["response_format"] = {
      {"type", "json_schema"},
      {"json_schema", {{"name", "s"}, {"schema", {{"type", "object"}, {"if", json::object()}}}}}};
  auto format = post_json(client, "/v1/chat/completions", body);
  EXPECT_EQ(format->status, 400) << "a schema that cannot be enforced is never ignored silently";
  EXPECT_EQ(json::parse(format->body)["error"]["param"], "response_format");

  auto no_route = client.Get("/v1/nothing");
  EXPECT_EQ(no_route->status, 404);
  EXPECT_TRUE(json::parse(no_route->body)["error"].is_object());
  auto no_ollama_route = client.Get("/api/nothing");
  EXPECT_TRUE(json::parse(no_ollama_route->body)["error"].is_string());

  auto too_large = client.Post("/v1/chat/completions", std::string(4096, ' '), "application/json");
  EXPECT_EQ(too_large->status, 413);
  EXPECT_TRUE(json::parse(too_large->body)["error"].is_object());
}

// `curl -d @file` labels its body application/x-www-form-urlencoded; cpp-httplib on its own
// caps such bodies at 8 KB. weft reads every body as JSON, up to --http-body-limit.
TEST(ServeHttp, AFormLabelledBodyIsReadAsJson) {
  HttpDaemon http({});
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();
  auto client = http.client();
  json body = chat_body(2, false);
  body["messages"][0]["content"] = std::string(12 * 1024, 'a');
  auto result = client.Post("/api/chat", body.dump(), "application/x-www-form-urlencoded");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
  EXPECT_TRUE(json::parse(result->body)["message"]["content"].is_string()) << result->body;
}

TEST(ServeHttp, ApiKeyAndCors) {
  HttpDaemon http({"--api-key", "sesame", "--http-cors", "http://app.test"});
  ASSERT_TRUE(http.wait_for_health(200)) << "health needs no key: " << http.daemon.log();
  auto client = http.client();
  auto none = post_json(client, "/v1/chat/completions", chat_body(1, false));
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["error"]["code"], "invalid_api_key");
  auto wrong =
      post_json(client, "/api/chat", chat_body(1, false), {{"Authorization", "Bearer sesamE"}});
  EXPECT_EQ(wrong->status, 401);
  EXPECT_TRUE(json::parse(wrong->body)["error"].is_string());
  auto right = post_json(client, "/v1/chat/completions", chat_body(1, false),
                         {{"Authorization", "Bearer sesame"}, {"Origin", "http://app.test"}});
  EXPECT_EQ(right->status, 200) << right->body;
  EXPECT_EQ(right->get_header_value("Access-Control-Allow-Origin"), "http://app.test");

  auto preflight = client.Options(
      "/v1/chat/completions", {{"Origin", "http://app.test"},
                               {"Access-Control-Request-Method", "POST"},
                               {"Access-Control-Request-Headers", "authorization,content-type"}});
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "http://app.test");
  EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Methods").find("POST"),
            std::string::npos);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Headers"),
            "authorization,content-type");
  auto other = client.Options("/v1/models", {{"Origin", "http://evil.test"}});
  EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));
}

TEST(ServeHttp, BeyondTheQueueIs429WithRetryAfter) {
  HttpDaemon http({"--parallel", "1", "--queue", "0"}, {{"WEFT_STUB_DELAY_MS", "100"}});
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();
  std::thread busy([&] {
    auto client = http.client();
    post_json(client, "/v1/chat/completions", chat_body(20, false));
  });
  // Wait until the first one holds the only slot (the metrics show it running).
  auto client = http.client();
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    auto metrics = client.Get("/metrics");
    if (metrics && metrics->body.find("weft_requests_active 1\n") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto refused = post_json(client, "/api/chat",
                           {{"model", "stub"},
                            {"messages", json::array({{{"role", "user"}, {"content", "x"}}})},
                            {"stream", false}});
  ASSERT_TRUE(refused);
  const int status = refused->status;
  const std::string retry_after = refused->get_header_value("Retry-After");
  const std::string body = refused->body;
  busy.join();
  ASSERT_EQ(status, 429) << http.daemon.log();
  EXPECT_EQ(retry_after, "1");
  EXPECT_TRUE(json::parse(body)["error"].is_string());
}

TEST(ServeHttp, HealthIs503WhileLoadingThen200AndDrainFinishesStreams) {
  HttpDaemon http({}, {{"WEFT_STUB_LOAD_DELAY_MS", "1500"}, {"WEFT_STUB_DELAY_MS", "50"}});
  ASSERT_TRUE(http.wait_for_health(503)) << http.daemon.log();
  auto client = http.client();
  auto loading = client.Get("/health");
  if (loading && loading->status == 503) {
    EXPECT_EQ(json::parse(loading->body)["status"], "loading_model");
    EXPECT_EQ(loading->get_header_value("Retry-After"), "1");
    auto refused = post_json(client, "/v1/chat/completions", chat_body(1, false));
    if (refused->status == 503) {
      EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
      EXPECT_EQ(json::parse(refused->body)["error"]["code"], "service_unavailable");
    }
  }
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();

  // SIGTERM while a stream runs: it still ends with [DONE], and the daemon exits cleanly.
  std::string body;
  std::thread streaming([&] {
    auto streaming_client = http.client();
    auto result = post_json(streaming_client, "/v1/chat/completions", chat_body(20, true));
    if (result) body = result->body;
  });
  // Wait until it runs (its admission slot shows in the metrics) before the signal.
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    auto metrics = client.Get("/metrics");
    if (metrics && metrics->body.find("weft_requests_active 1\n") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  http.daemon.send_signal(SIGTERM);
  streaming.join();
  bool done = false;
  sse_events(body, done);
  EXPECT_TRUE(done) << body;
  EXPECT_EQ(http.daemon.wait_exit(), 0) << http.daemon.log();
}

// Reads `chunks` pieces of a streamed POST, then drops the connection.
int read_then_disconnect(httplib::Client& client, const std::string& path, const json& body,
                         int chunks) {
  int received = 0;
  httplib::Request request;
  request.method = "POST";
  request.path = path;
  request.body = body.dump();
  request.set_header("Content-Type", "application/json");
  request.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
    return ++received < chunks;
  };
  client.send(request);
  return received;
}

TEST(ServeHttp, ADisconnectMidStreamCancelsTheGenerationAtOnce) {
  HttpDaemon http({}, {{"WEFT_STUB_DELAY_MS", "100"}});
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();
  auto client = http.client();
  json chat = {{"model", "stub"},
               {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})},
               {"options", {{"num_predict", 30}}}};
  EXPECT_EQ(read_then_disconnect(client, "/api/chat", chat, 3), 3);
  ASSERT_TRUE(http.daemon.wait_for_log_line({"path=/api/chat", "stop_reason=cancelled"}))
      << http.daemon.log();
  // Cancelled within a token or two of the disconnect, not after all 30 (3 s).
  const auto log = http.daemon.log();
  const auto at = log.find("stop_reason=cancelled");
  const auto line_start = log.rfind('\n', at) + 1;
  const auto tokens_at = log.find("completion_tokens=", line_start);
  EXPECT_LT(std::stoi(log.substr(tokens_at + 18)), 8) << log;
  auto metrics = client.Get("/metrics");
  EXPECT_NE(metrics->body.find("weft_requests_active 0\n"), std::string::npos) << metrics->body;
}

TEST(ServeHttp, NativeModelAndADisconnectMidStreamFreesTheKvPages) {
  HttpDaemon http({"--ctx", "256", "--threads", "1"}, {},
                  {"--backend", "native", "--model", test::bundled_model_file()});
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();
  auto client = http.client();
  json body = {{"model", "stories260K-f32"},
               {"messages", json::array({{{"role", "user"}, {"content", "Once upon a time"}}})},
               {"max_tokens", 8},
               {"temperature", 0}};
  auto whole = post_json(client, "/v1/chat/completions", body);
  ASSERT_EQ(whole->status, 200) << whole->body;
  auto completion = json::parse(whole->body);
  EXPECT_EQ(completion["usage"]["completion_tokens"], 8);
  EXPECT_FALSE(completion["choices"][0]["message"]["content"].get<std::string>().empty());
  auto tags = json::parse(client.Get("/api/tags")->body);
  EXPECT_EQ(tags["models"][0]["name"], "stories260K-f32:latest");
  EXPECT_EQ(tags["models"][0]["details"]["family"], "llama");
  auto show = json::parse(post_json(client, "/api/show", {{"model", "stories260K-f32"}})->body);
  EXPECT_EQ(show["model_info"]["general.architecture"], "llama");

  // A prompt longer than the context: OpenAI's code for it, and Ollama's shape.
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "Once upon a time ";
  json too_long = body;
  too_long["messages"][0]["content"] = long_text;
  auto refused = post_json(client, "/v1/chat/completions", too_long);
  EXPECT_EQ(refused->status, 400) << refused->body;
  auto refusal = json::parse(refused->body)["error"];
  EXPECT_EQ(refusal["code"], "context_length_exceeded") << refused->body;
  EXPECT_EQ(refusal["type"], "invalid_request_error");
  EXPECT_NE(refusal["message"].get<std::string>().find("256"), std::string::npos) << refusal;
  auto ollama_refused = post_json(
      client, "/api/chat",
      {{"model", "stories260K-f32"}, {"messages", too_long["messages"]}, {"stream", false}});
  EXPECT_EQ(ollama_refused->status, 400) << ollama_refused->body;
  EXPECT_TRUE(json::parse(ollama_refused->body)["error"].is_string());

  // A long stream, read until a few chunks came, then the connection is dropped.
  body["max_tokens"] = 200;
  body["stream"] = true;
  EXPECT_EQ(read_then_disconnect(client, "/v1/chat/completions", body, 3), 3);
  ASSERT_TRUE(http.daemon.wait_for_log_line({"stop_reason=cancelled"}))
      << "the generation ends as cancelled: " << http.daemon.log();
  auto admin = http.daemon.admin();
  bool freed = false;
  while (auto event = admin.next_for(std::chrono::milliseconds(kPatience))) {
    if (event->is_stats() && event->kv && event->kv->live == 0 && event->active_requests == 0u) {
      // Only the prefix cache may still hold pages; nothing is reserved for a sequence.
      freed = event->kv->pages_committed == 0 && event->kv->pages_in_use <= event->kv->pages_cached;
      EXPECT_TRUE(freed) << event->raw;
      break;
    }
  }
  EXPECT_TRUE(freed) << "no live sequence holds KV pages after the disconnect";
}

TEST(ServeHttp, ARequestForAnotherListedModelLoadsIt) {
  TempDir models;
  std::filesystem::create_symlink(test::bundled_model_file(), models.path() + "/other.gguf");
  HttpDaemon http({"--models-dir", models.path(), "--ctx", "256", "--threads", "1"}, {},
                  {"--backend", "native", "--model", test::bundled_model_file()});
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();
  auto client = http.client();
  auto tags = json::parse(client.Get("/api/tags")->body);
  ASSERT_EQ(tags["models"].size(), 2u) << tags;
  EXPECT_EQ(tags["models"][0]["name"], "stories260K-f32:latest");
  EXPECT_EQ(tags["models"][1]["name"], "other:latest");
  auto shown = post_json(client, "/api/show", {{"model", "other"}});
  ASSERT_EQ(shown->status, 200) << shown->body;
  EXPECT_EQ(json::parse(shown->body)["model_info"]["general.architecture"], "llama");
  EXPECT_EQ(json::parse(client.Get("/api/ps")->body)["models"][0]["name"], "stories260K-f32:latest")
      << "showing a model does not load it";

  auto answer = post_json(client, "/api/generate",
                          {{"model", "other:latest"},
                           {"prompt", "Once upon a time"},
                           {"stream", false},
                           {"options", {{"num_predict", 4}, {"temperature", 0}}}});
  ASSERT_EQ(answer->status, 200) << answer->body << http.daemon.log();
  EXPECT_EQ(json::parse(answer->body)["model"], "other");
  EXPECT_EQ(json::parse(answer->body)["eval_count"], 4);
  EXPECT_EQ(json::parse(client.Get("/api/ps")->body)["models"][0]["name"], "other:latest");
  EXPECT_EQ(json::parse(client.Get("/v1/models")->body)["data"][0]["id"], "other");
  EXPECT_TRUE(http.daemon.wait_for_log_line({"loading model", "other.gguf"}));
}

// tests/data/bert/<name>: its non-empty lines.
std::vector<std::string> bert_http_lines(const std::string& name) {
  std::ifstream in(std::filesystem::path(WEFT_SOURCE_DIR) / "tests/data/bert" / name);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

double bert_http_cosine(const std::vector<double>& a, const std::string& reference_line) {
  std::istringstream in(reference_line);
  std::vector<double> b;
  for (double value; in >> value;) b.push_back(value);
  EXPECT_EQ(a.size(), b.size());
  double dot = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return dot / std::sqrt(aa * bb);
}

// An encoder (bert, mean pooling; the file and the llama-embedding references of
// tests/data/bert) served natively: both embedding routes return llama.cpp's vectors, as unit
// vectors, and a chat request is refused with a pointer to the embeddings.
TEST(ServeHttp, EncoderModelServesEmbeddingsOnBothRoutes) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("weft-http-bert-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string model = (dir / "bert-mean.gguf").string();
  const auto made = test::make_encoder_test_model("bert", "mean", model);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  HttpDaemon http({"--threads", "2"}, {}, {"--backend", "native", "--model", model});
  ASSERT_TRUE(http.wait_for_health(200)) << http.daemon.log();
  auto client = http.client();
  const auto inputs = bert_http_lines("inputs.txt");
  const auto references = bert_http_lines("bert-mean.embeddings.txt");
  ASSERT_EQ(inputs.size(), references.size());

  auto openai = post_json(client, "/v1/embeddings", {{"model", "bert-mean"}, {"input", inputs}});
  ASSERT_EQ(openai->status, 200) << openai->body;
  const auto data = json::parse(openai->body)["data"];
  ASSERT_EQ(data.size(), inputs.size());
  auto ollama = post_json(client, "/api/embed", {{"model", "bert-mean"}, {"input", inputs}});
  ASSERT_EQ(ollama->status, 200) << ollama->body;
  const auto embeddings = json::parse(ollama->body)["embeddings"];
  ASSERT_EQ(embeddings.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto from_openai = data[i]["embedding"].get<std::vector<double>>();
    const auto from_ollama = embeddings[i].get<std::vector<double>>();
    EXPECT_GE(bert_http_cosine(from_openai, references[i]), 0.9999) << inputs[i];
    EXPECT_GE(bert_http_cosine(from_ollama, references[i]), 0.9999) << inputs[i];
    double squares = 0;
    for (double value : from_openai) squares += value * value;
    EXPECT_NEAR(squares, 1.0, 1e-5) << "unit vectors";
  }

  json chat = {{"model", "bert-mean"},
               {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})},
               {"max_tokens", 4}};
  auto refused = post_json(client, "/v1/chat/completions", chat);
  EXPECT_NE(refused->status, 200);
  EXPECT_NE(refused->body.find("bert is an embedding model"), std::string::npos) << refused->body;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace weft::testing
