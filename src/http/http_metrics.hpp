// GET /metrics: counters and histograms in the Prometheus text exposition format (0.0.4).
// Debian ships no Prometheus C++ client (prometheus-cpp is not packaged), and the format is
// a few lines of text. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sync/mutex.hpp"

namespace weft::http {

// Cumulative buckets, as Prometheus histograms are.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  // `name_bucket{le=…}`, `name_sum`, `name_count` lines.
  std::string render(const std::string& name) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last = +Inf
  double sum_ = 0.0;
  uint64_t count_ = 0;
};

// What the daemon knows at scrape time rather than counts as it goes.
struct MetricsGauges {
  uint64_t requests_active = 0;
  uint64_t requests_queued = 0;
  bool has_kv = false;  // native backend
  uint64_t kv_pages_in_use = 0;
  uint64_t kv_pages_capacity = 0;
  uint64_t prompt_tokens_cached = 0;
  uint64_t prompt_tokens_computed = 0;
};

class HttpMetrics {
 public:
  HttpMetrics();

  void count_request(const std::string& route, int status);
  void count_tokens(uint64_t prompt, uint64_t completion);
  void observe_time_to_first_token(double seconds);
  void observe_inter_token(double seconds);

  std::string render(const MetricsGauges& gauges) const;

 private:
  mutable sync::Mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_ WEFT_GUARDED_BY(mutex_);
  uint64_t prompt_tokens_ WEFT_GUARDED_BY(mutex_) = 0;
  uint64_t completion_tokens_ WEFT_GUARDED_BY(mutex_) = 0;
  Histogram time_to_first_token_ WEFT_GUARDED_BY(mutex_);
  Histogram inter_token_ WEFT_GUARDED_BY(mutex_);
};

}  // namespace weft::http
