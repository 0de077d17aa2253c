// What the HTTP routes share: the daemon's context (backend, admission, lifecycle, log), the
// options, the model catalog, the metrics, and the generations in flight (so that a drain
// can cancel them). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "chat/output_decoder.hpp"
#include "http/admission_slot.hpp"
#include "http/http_metrics.hpp"
#include "http/model_catalog.hpp"
#include "server/context.hpp"
#include "server/generation_job.hpp"
#include "server/request_log.hpp"
#include "sync/mutex.hpp"

namespace weft::http {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 11435;
  std::string api_key;                    // "" = no authentication
  std::vector<std::string> cors_origins;  // allowed Origin values; "*" = any; empty = no CORS
  size_t body_limit = 8u << 20;           // bytes; larger bodies get 413
  // How long a response write may wait for the client to read (--write-timeout): a stream
  // whose reader stalls longer ends, and its generation with it.
  std::chrono::milliseconds write_timeout{30000};
  size_t threads = 0;  // pool threads; at least 64
  std::string models_dir;
  // Loads another model of the models directory (a reload); true once it serves. Unset: a
  // request for another model is refused.
  std::function<bool(const std::string& path)> switch_model;
};

class HttpService;

// One HTTP request's log line and metrics, written when the last holder lets go: for a
// stream that is after its last byte, since the content provider holds it too.
class Exchange {
 public:
  Exchange(HttpService& service, std::string method, std::string path, std::string route);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  int status = 200;
  bool generation = false;  // a log record with tokens, else only method/path/status
  server::RequestRecord record;
  const std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();

 private:
  HttpService& service_;
  std::string method_;
  std::string path_;
  std::string route_;
};

class HttpService {
 public:
  HttpService(server::ServerContext& context, HttpServerOptions options);

  server::ServerContext& context() { return context_; }
  const HttpServerOptions& options() const { return options_; }
  HttpMetrics& metrics() { return metrics_; }
  // The models directory and the model being served now.
  ModelCatalog catalog() const;

  // Throws ApiException 503 (Retry-After) unless the daemon is ready.
  void require_ready() const;
  // A place in the daemon's admission queue for one request (released when dropped).
  std::shared_ptr<AdmissionSlot> take_slot();
  // The loaded backend; 503 when there is none.
  std::shared_ptr<Backend> backend() const;
  // The name to answer with for a request naming `requested` ("" = the served model);
  // 404 model_not_found when no listed model has that name. A listed model that is not the
  // one loaded is loaded (one model is resident at a time): this blocks until it serves, and
  // is a 500 when it cannot be loaded.
  std::string resolve_model(const std::string& requested);
  std::string served_name() const;
  // The output decoder for the loaded model: its template's tool-call syntax when `tools`.
  chat::DecoderConfig decoder_config(bool tools) const;
  MetricsGauges gauges() const;

  // Runs one generation (the caller holds an admission slot) and hands each event to
  // `on_event` until the terminal one; when `on_event` returns false, or `client_alive`
  // (asked while no event comes) does, the generation is cancelled at once.
  void generate(const GenerationRequest& request, Exchange& exchange,
                const std::function<bool(const Event&)>& on_event,
                const std::function<bool()>& client_alive);

  // Drain: cancels every generation still running.
  void cancel_all();

  void log(server::LogLevel level, const std::string& line) const { context_.log(level, line); }

 private:
  server::ServerContext& context_;
  HttpServerOptions options_;
  sync::Mutex switch_mutex_;  // one model switch at a time
  HttpMetrics metrics_;       // thread-safe itself
  sync::Mutex mutex_;
  std::set<std::shared_ptr<server::GenerationHandle>> running_ WEFT_GUARDED_BY(mutex_);
  bool refusing_ WEFT_GUARDED_BY(mutex_) =
      false;  // after cancel_all: what still waits for a slot is refused
};

}  // namespace weft::http
