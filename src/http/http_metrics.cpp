#include "http/http_metrics.hpp"

#include <cstdio>

#include "sync/mutex.hpp"

namespace weft::http {
namespace {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", value);
  return text;
}

std::string header(const std::string& name, const std::string& type, const std::string& help) {
  return "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string gauge(const std::string& name, const std::string& help, double value) {
  return header(name, "gauge", help) + name + " " + number(value) + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

std::string Histogram::render(const std::string& name) const {
  std::string out;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{le=\"" + number(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  out += name + "_sum " + number(sum_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
  return out;
}

HttpMetrics::HttpMetrics()
    : time_to_first_token_({0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}),
      inter_token_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}) {}

void HttpMetrics::count_request(const std::string& route, int status) {
  sync::MutexLock lock(mutex_);
  ++requests_[{route, status}];
}

void HttpMetrics::count_tokens(uint64_t prompt, uint64_t completion) {
  sync::MutexLock lock(mutex_);
  prompt_tokens_ += prompt;
  completion_tokens_ += completion;
}

void HttpMetrics::observe_time_to_first_token(double seconds) {
  sync::MutexLock lock(mutex_);
  time_to_first_token_.observe(seconds);
}

void HttpMetrics::observe_inter_token(double seconds) {
  sync::MutexLock lock(mutex_);
  inter_token_.observe(seconds);
}

std::string HttpMetrics::render(const MetricsGauges& gauges) const {
  sync::MutexLock lock(mutex_);
  std::string out =
      header("weft_http_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (const auto& [key, count] : requests_) {
    out += "weft_http_requests_total{route=\"" + key.first + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  out += header("weft_prompt_tokens_total", "counter", "Prompt tokens of HTTP generations.");
  out += "weft_prompt_tokens_total " + std::to_string(prompt_tokens_) + "\n";
  out += header("weft_completion_tokens_total", "counter", "Tokens generated for HTTP requests.");
  out += "weft_completion_tokens_total " + std::to_string(completion_tokens_) + "\n";
  out += header("weft_time_to_first_token_seconds", "histogram",
                "From the request's arrival to its first generated token.");
  out += time_to_first_token_.render("weft_time_to_first_token_seconds");
  out += header("weft_inter_token_seconds", "histogram",
                "Between consecutive generated tokens of one generation.");
  out += inter_token_.render("weft_inter_token_seconds");
  out += gauge("weft_requests_active", "Generations running (all listeners).",
               static_cast<double>(gauges.requests_active));
  out += gauge("weft_requests_queued", "Generations waiting for a slot (all listeners).",
               static_cast<double>(gauges.requests_queued));
  if (gauges.has_kv) {
    out += gauge("weft_kv_pages_in_use", "KV cache pages held by live sequences.",
                 static_cast<double>(gauges.kv_pages_in_use));
    out += gauge("weft_kv_pages_capacity", "KV cache pages in the pool.",
                 static_cast<double>(gauges.kv_pages_capacity));
    const double total =
        static_cast<double>(gauges.prompt_tokens_cached + gauges.prompt_tokens_computed);
    out += gauge("weft_prefix_cache_hit_ratio",
                 "Share of prompt tokens served from the prefix cache since start.",
                 total > 0 ? static_cast<double>(gauges.prompt_tokens_cached) / total : 0.0);
  }
  return out;
}

}  // namespace weft::http
