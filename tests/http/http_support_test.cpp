// The HTTP server's parts that are not mappings: error shapes, admission slots, metrics text,
// the model catalog.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "http/admission_slot.hpp"
#include "http/api_error.hpp"
#include "http/http_metrics.hpp"
#include "http/model_catalog.hpp"
#include "support/daemon_process.hpp"

namespace weft::http {
namespace {

using nlohmann::json;

TEST(HttpErrors, EachApiHasItsOwnShape) {
  ApiError error{400, "'temperature' must be a number", "invalid_request_error", "temperature",
                 "invalid_value"};
  EXPECT_EQ(openai_error_body(error),
            json::parse(R"({"error":{"message":"'temperature' must be a number",
    "type":"invalid_request_error","param":"temperature","code":"invalid_value"}})"));
  EXPECT_EQ(ollama_error_body(error), json::parse(R"({"error":"'temperature' must be a number"})"));
  ApiError bare{500, "boom", "server_error", "", ""};
  EXPECT_TRUE(openai_error_body(bare)["error"]["param"].is_null());
  EXPECT_TRUE(openai_error_body(bare)["error"]["code"].is_null());
}

TEST(HttpErrors, BackendCodesMapToStatuses) {
  EXPECT_EQ(error_from_code(ErrorCode::invalid_request, "x").status, 400);
  EXPECT_EQ(error_from_code(ErrorCode::backend_unavailable, "x").status, 503);
  EXPECT_EQ(error_from_code(ErrorCode::queue_full, "x").status, 429);
  EXPECT_EQ(error_from_code(ErrorCode::frame_too_large, "x").status, 413);
  EXPECT_EQ(error_from_code(ErrorCode::internal, "x").status, 500);
  auto missing = model_not_found("llama9");
  EXPECT_EQ(missing.error().status, 404);
  EXPECT_EQ(missing.error().code, "model_not_found");
  EXPECT_EQ(ollama_error_body(missing.error())["error"], "model 'llama9' not found");
}

TEST(HttpAdmissionSlot, FullQueueIs429AndSlotsAreReleasedExactlyOnce) {
  server::Admission admission(1, 1);
  auto running = std::make_unique<AdmissionSlot>(admission, 1);
  EXPECT_TRUE(running->wait([] { return true; }));
  EXPECT_EQ(admission.active(), 1u);
  auto waiting = std::make_unique<AdmissionSlot>(admission, 2);
  EXPECT_EQ(admission.queued(), 1u);
  try {
    AdmissionSlot rejected(admission, 3);
    FAIL() << "a full queue must refuse";
  } catch (const ApiException& error) {
    EXPECT_EQ(error.error().status, 429);
  }
  // A waiter that gives up is withdrawn; nothing is released on its behalf.
  EXPECT_FALSE(waiting->wait([] { return false; }, std::chrono::milliseconds(1)));
  waiting.reset();
  EXPECT_EQ(admission.queued(), 0u);
  EXPECT_EQ(admission.active(), 1u);
  // The next waiter gets the slot when the running one is destroyed.
  auto next = std::make_unique<AdmissionSlot>(admission, 4);
  std::thread finisher([&] { running.reset(); });
  EXPECT_TRUE(next->wait([] { return true; }));
  finisher.join();
  EXPECT_EQ(admission.active(), 1u);
  next.reset();
  EXPECT_EQ(admission.active(), 0u);
}

TEST(HttpMetrics, PrometheusTextWithCumulativeBuckets) {
  Histogram histogram({0.1, 1.0});
  histogram.observe(0.05);
  histogram.observe(0.5);
  histogram.observe(5.0);
  EXPECT_EQ(histogram.render("x"),
            "x_bucket{le=\"0.1\"} 1\nx_bucket{le=\"1\"} 2\nx_bucket{le=\"+Inf\"} 3\n"
            "x_sum 5.55\nx_count 3\n");
  HttpMetrics metrics;
  metrics.count_request("/v1/chat/completions", 200);
  metrics.count_request("/v1/chat/completions", 200);
  metrics.count_request("/api/chat", 429);
  metrics.count_tokens(10, 4);
  MetricsGauges gauges;
  gauges.requests_queued = 3;
  gauges.has_kv = true;
  gauges.kv_pages_in_use = 5;
  gauges.prompt_tokens_cached = 1;
  gauges.prompt_tokens_computed = 3;
  const auto text = metrics.render(gauges);
  for (const char* line :
       {"weft_http_requests_total{route=\"/v1/chat/completions\",status=\"200\"} 2\n",
        "weft_http_requests_total{route=\"/api/chat\",status=\"429\"} 1\n",
        "weft_prompt_tokens_total 10\n", "weft_completion_tokens_total 4\n",
        "weft_requests_queued 3\n", "weft_kv_pages_in_use 5\n",
        "weft_prefix_cache_hit_ratio 0.25\n",
        "# TYPE weft_time_to_first_token_seconds histogram\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST(HttpModelCatalog, ServedFileFirstThenTheDirectoryByName) {
  testing::TempDir dir;
  auto touch = [&](const std::string& name) { std::ofstream(dir.path() + "/" + name) << "GGUF"; };
  touch("b-model.gguf");
  touch("a-model.gguf");
  touch("notes.txt");
  ModelCatalog catalog(dir.path() + "/b-model.gguf", dir.path());
  auto models = catalog.list("ignored");
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].name, "b-model");
  EXPECT_EQ(models[1].name, "a-model");
  EXPECT_EQ(models[1].size, 4u);
  EXPECT_EQ(catalog.find("b-model:latest", "")->name, "b-model");
  EXPECT_EQ(catalog.find("a-model.gguf", "")->name, "a-model");
  EXPECT_EQ(catalog.find("", "")->name, "b-model");
  EXPECT_FALSE(catalog.find("c-model", ""));

  ModelCatalog stub("", "/nonexistent");
  EXPECT_EQ(stub.served_name("stub"), "stub");
  EXPECT_EQ(stub.list("stub").size(), 1u);
}

}  // namespace
}  // namespace weft::http
