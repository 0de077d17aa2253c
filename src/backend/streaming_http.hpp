// HTTP through libcurl for the remote backends (ollama, openai): a streaming POST whose body
// arrives piece by piece, can be aborted from any thread and gives up when the server stalls,
// plus small blocking requests for model lists and probes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sync/mutex.hpp"
#include "weft/events.hpp"
#include "weft/generation.hpp"

namespace weft::backend {

struct HttpTimeouts {
  std::chrono::milliseconds connect{5000};
  // No body bytes for this long ends the transfer with an error. Generous by default: a
  // server may load a large model before the first byte. WEFT_HTTP_STALL_TIMEOUT_MS overrides.
  std::chrono::milliseconds stall{120000};

  // Defaults overridden by WEFT_HTTP_CONNECT_TIMEOUT_MS and WEFT_HTTP_STALL_TIMEOUT_MS.
  static HttpTimeouts from_environment();
};

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // empty: GET; otherwise POST with this JSON body
};

// The answer of a blocking request. `transport_error` is set when no HTTP answer came.
struct HttpResponse {
  long status = 0;
  std::string body;
  std::string transport_error;
  bool ok() const { return transport_error.empty() && status >= 200 && status < 300; }
};

// A whole request with an overall time limit (probes, model lists, model details).
HttpResponse http_request(const HttpRequest& request, std::chrono::milliseconds timeout);

// How a streaming transfer ended.
struct TransferOutcome {
  enum class Kind {
    completed,        // the server finished the body (2xx)
    http_error,       // the server answered with a status outside 2xx; body in `error_body`
    transport_error,  // connect failure, reset, body cut short…; text in `message`
    stalled,          // no bytes for HttpTimeouts::stall
    aborted,          // abort() was called or the body sink asked to stop
  };
  Kind kind = Kind::completed;
  long status = 0;
  std::string error_body;
  std::string message;
};

// Lets another thread abort a transfer at once (a cancelled generation).
class TransferControl {
 public:
  TransferControl();
  ~TransferControl();
  TransferControl(const TransferControl&) = delete;
  TransferControl& operator=(const TransferControl&) = delete;

  void abort();
  bool aborted() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Runs a POST on the calling thread and hands each piece of a 2xx body to `on_body` as it
// arrives (boundaries fall anywhere). `on_body` returns false to stop the transfer.
TransferOutcome stream_http(const HttpRequest& request, const HttpTimeouts& timeouts,
                            TransferControl& control,
                            const std::function<bool(std::string_view)>& on_body);

// What a remote protocol does with one streaming generation's body. Implementations parse
// and push token/done/error events into the channel they were made with.
class StreamConsumer {
 public:
  virtual ~StreamConsumer() = default;
  // A piece of the body; returns false once it pushed a terminal event.
  virtual bool feed(std::string_view bytes) = 0;
  // The body ended normally: push done, or an error if the protocol's end marker was missing.
  virtual void finish() = 0;
  // Turns an HTTP error status and body into a terminal error event.
  virtual void http_error(long status, const std::string& body) = 0;
};

// Maps an HTTP status to the event error code the remote backends report.
ErrorCode error_code_for_http_status(long status);

// The threads of a remote backend's streaming generations. start() runs `request` on a new
// thread: cancelling the generation aborts the transfer at once; transport failures and
// stalls become error events that start with `label` (the backend's name). The destructor
// aborts every transfer still running and joins its thread, so none outlives the backend
// (and none is still inside libcurl or OpenSSL when the process tears them down).
class StreamingTransfers {
 public:
  StreamingTransfers();
  ~StreamingTransfers();
  StreamingTransfers(const StreamingTransfers&) = delete;
  StreamingTransfers& operator=(const StreamingTransfers&) = delete;

  // Thread-safe.
  void start(GenerationChannel channel, HttpRequest request, HttpTimeouts timeouts,
             std::unique_ptr<StreamConsumer> consumer, std::string label);

 private:
  struct Transfer;
  // Joins the threads that have finished.
  void reap(sync::MutexLock& lock) WEFT_REQUIRES(mutex_);

  sync::Mutex mutex_;
  std::vector<std::unique_ptr<Transfer>> transfers_ WEFT_GUARDED_BY(mutex_);
};

}  // namespace weft::backend
