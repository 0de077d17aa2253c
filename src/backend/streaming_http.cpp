#include "backend/streaming_http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>

#include "sync/mutex.hpp"

namespace weft::backend {
namespace {

using Clock = std::chrono::steady_clock;

// Bounds what an error body or a model list may make us hold in memory.
constexpr size_t kMaxBufferedBody = 16 * 1024 * 1024;
constexpr size_t kMaxErrorBody = 64 * 1024;
// How often the transfer loop looks at the stall clock when nothing wakes it earlier.
constexpr std::chrono::milliseconds kPollInterval{50};

void ensure_curl_initialised() {
  // curl_global_init is not safe to race with other threads' first use; a function-local
  // static runs it exactly once.
  static const CURLcode initialised = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)initialised;
}

std::chrono::milliseconds env_milliseconds(const char* name, std::chrono::milliseconds fallback) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  char* end = nullptr;
  long long parsed = std::strtoll(value, &end, 10);
  if (*end != '\0' || parsed <= 0) return fallback;
  return std::chrono::milliseconds(parsed);
}

using EasyHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

HeaderList make_header_list(const HttpRequest& request) {
  curl_slist* list = nullptr;
  for (const auto& header : request.headers) list = curl_slist_append(list, header.c_str());
  if (!request.body.empty()) {
    list = curl_slist_append(list, "Content-Type: application/json");
    // curl would otherwise wait up to a second for "100 Continue" before a large body.
    list = curl_slist_append(list, "Expect:");
  }
  return HeaderList(list, curl_slist_free_all);
}

// Options shared by both kinds of request. `headers` and `errors` must outlive the transfer.
void set_common_options(CURL* curl, const HttpRequest& request, curl_slist* headers, char* errors) {
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errors);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
}

std::string describe_curl_failure(CURLcode code, const char* errors) {
  return errors[0] != '\0' ? std::string(errors) : std::string(curl_easy_strerror(code));
}

size_t append_to_string(char* data, size_t size, size_t count, void* user) {
  auto& body = *static_cast<std::string*>(user);
  size_t bytes = size * count;
  if (body.size() + bytes > kMaxBufferedBody) return 0;  // aborts with CURLE_WRITE_ERROR
  body.append(data, bytes);
  return bytes;
}

struct StreamState {
  CURL* curl = nullptr;
  TransferControl* control = nullptr;
  const std::function<bool(std::string_view)>* on_body = nullptr;
  long status = 0;
  std::string error_body;
  bool sink_stopped = false;
  std::string sink_failure;  // an exception the sink threw, kept from crossing libcurl's C frames
  bool received_body = false;
  Clock::time_point last_bytes = Clock::now();

  bool status_is_success() const { return status >= 200 && status < 300; }
};

size_t on_header_bytes(char*, size_t size, size_t count, void* user) {
  static_cast<StreamState*>(user)->last_bytes = Clock::now();
  return size * count;
}

size_t on_body_bytes(char* data, size_t size, size_t count, void* user) {
  auto& state = *static_cast<StreamState*>(user);
  size_t bytes = size * count;
  state.last_bytes = Clock::now();
  if (state.control->aborted()) return 0;
  if (state.status == 0) curl_easy_getinfo(state.curl, CURLINFO_RESPONSE_CODE, &state.status);
  if (!state.status_is_success()) {
    size_t room = kMaxErrorBody - std::min(kMaxErrorBody, state.error_body.size());
    state.error_body.append(data, std::min(room, bytes));
    return bytes;
  }
  state.received_body = true;
  try {
    if (!(*state.on_body)(std::string_view(data, bytes))) {
      state.sink_stopped = true;
      return 0;
    }
  } catch (const std::exception& error) {
    state.sink_failure = error.what();
    return 0;
  }
  return bytes;
}

}  // namespace

HttpTimeouts HttpTimeouts::from_environment() {
  HttpTimeouts timeouts;
  timeouts.connect = env_milliseconds("WEFT_HTTP_CONNECT_TIMEOUT_MS", timeouts.connect);
  timeouts.stall = env_milliseconds("WEFT_HTTP_STALL_TIMEOUT_MS", timeouts.stall);
  return timeouts;
}

HttpResponse http_request(const HttpRequest& request, std::chrono::milliseconds timeout) {
  ensure_curl_initialised();
  HttpResponse response;
  EasyHandle curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    response.transport_error = "libcurl could not create a handle";
    return response;
  }
  char errors[CURL_ERROR_SIZE] = {};
  HeaderList headers = make_header_list(request);
  set_common_options(curl.get(), request, headers.get(), errors);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_to_string);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response.body);
  CURLcode result = curl_easy_perform(curl.get());
  if (result != CURLE_OK) {
    response.transport_error = describe_curl_failure(result, errors);
    return response;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

struct TransferControl::Impl {
  sync::Mutex mutex;
  CURLM* multi WEFT_GUARDED_BY(mutex) =
      nullptr;  // set while a transfer runs, so abort() can wake its poll
  std::atomic<bool> aborted{false};
};

TransferControl::TransferControl() : impl_(std::make_unique<Impl>()) {}
TransferControl::~TransferControl() = default;

void TransferControl::abort() {
  impl_->aborted = true;
  sync::MutexLock lock(impl_->mutex);
  if (impl_->multi) curl_multi_wakeup(impl_->multi);
}

bool TransferControl::aborted() const {
  return impl_->aborted.load();
}

namespace {

// Drives one easy handle through a multi handle until it ends, is aborted or stalls.
TransferOutcome drive_transfer(CURLM* multi, StreamState& state, const HttpTimeouts& timeouts,
                               TransferControl& control, const char* errors) {
  TransferOutcome outcome;
  int running = 1;
  while (true) {
    CURLMcode code = curl_multi_perform(multi, &running);
    if (code != CURLM_OK) {
      outcome.kind = TransferOutcome::Kind::transport_error;
      outcome.message = curl_multi_strerror(code);
      return outcome;
    }
    if (running == 0) break;
    if (control.aborted()) {
      outcome.kind = TransferOutcome::Kind::aborted;
      return outcome;
    }
    auto quiet = Clock::now() - state.last_bytes;
    if (quiet >= timeouts.stall) {
      outcome.kind = TransferOutcome::Kind::stalled;
      return outcome;
    }
    auto wait = std::min(kPollInterval,
                         std::chrono::ceil<std::chrono::milliseconds>(timeouts.stall - quiet));
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait.count()), nullptr);
  }
  int queued = 0;
  CURLcode result = CURLE_OK;
  while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
    if (message->msg == CURLMSG_DONE) result = message->data.result;
  }
  if (!state.sink_failure.empty()) {
    outcome.kind = TransferOutcome::Kind::transport_error;
    outcome.message = "could not process the response: " + state.sink_failure;
    return outcome;
  }
  if (state.sink_stopped || control.aborted()) {
    outcome.kind = TransferOutcome::Kind::aborted;
    return outcome;
  }
  curl_easy_getinfo(state.curl, CURLINFO_RESPONSE_CODE, &outcome.status);
  if (result != CURLE_OK) {
    outcome.kind = TransferOutcome::Kind::transport_error;
    outcome.message = (state.received_body ? "the stream broke off: " : "") +
                      describe_curl_failure(result, errors);
    return outcome;
  }
  if (outcome.status < 200 || outcome.status >= 300) {
    outcome.kind = TransferOutcome::Kind::http_error;
    outcome.error_body = std::move(state.error_body);
  }
  return outcome;
}

}  // namespace

TransferOutcome stream_http(const HttpRequest& request, const HttpTimeouts& timeouts,
                            TransferControl& control,
                            const std::function<bool(std::string_view)>& on_body) {
  ensure_curl_initialised();
  EasyHandle curl(curl_easy_init(), curl_easy_cleanup);
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(),
                                                              curl_multi_cleanup);
  if (!curl || !multi) {
    return {TransferOutcome::Kind::transport_error, 0, {}, "libcurl could not create a handle"};
  }
  char errors[CURL_ERROR_SIZE] = {};
  HeaderList headers = make_header_list(request);
  set_common_options(curl.get(), request, headers.get(), errors);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(timeouts.connect.count()));

  StreamState state;
  state.curl = curl.get();
  state.control = &control;
  state.on_body = &on_body;
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body_bytes);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header_bytes);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &state);
  curl_multi_add_handle(multi.get(), curl.get());

  {
    sync::MutexLock lock(control.impl().mutex);
    control.impl().multi = multi.get();
  }
  // An abort() that came before the handle was published is seen by the loop's flag check.
  TransferOutcome outcome = drive_transfer(multi.get(), state, timeouts, control, errors);
  {
    sync::MutexLock lock(control.impl().mutex);
    control.impl().multi = nullptr;
  }
  curl_multi_remove_handle(multi.get(), curl.get());
  return outcome;
}

ErrorCode error_code_for_http_status(long status) {
  if (status == 429) return ErrorCode::queue_full;
  if (status >= 400 && status < 500) return ErrorCode::invalid_request;
  return ErrorCode::backend_unavailable;
}

namespace {

void finish_generation(GenerationChannel& channel, const HttpRequest& request,
                       const HttpTimeouts& timeouts, StreamConsumer& consumer,
                       TransferControl& control, const std::string& label) {
  auto outcome = stream_http(request, timeouts, control,
                             [&](std::string_view bytes) { return consumer.feed(bytes); });
  switch (outcome.kind) {
    case TransferOutcome::Kind::completed:
      consumer.finish();
      break;
    case TransferOutcome::Kind::http_error:
      consumer.http_error(outcome.status, outcome.error_body);
      break;
    case TransferOutcome::Kind::transport_error:
      channel.error(ErrorCode::backend_unavailable,
                    label + ": request to " + request.url + " failed: " + outcome.message);
      break;
    case TransferOutcome::Kind::stalled:
      channel.error(ErrorCode::backend_unavailable,
                    label + ": no data from " + request.url + " for " +
                        std::to_string(timeouts.stall.count()) +
                        " ms; gave up (WEFT_HTTP_STALL_TIMEOUT_MS sets the limit)");
      break;
    case TransferOutcome::Kind::aborted:
      break;  // cancelled (done(cancelled) is queued) or the consumer already ended it
  }
}

}  // namespace

struct StreamingTransfers::Transfer {
  std::shared_ptr<TransferControl> control = std::make_shared<TransferControl>();
  std::atomic<bool> finished{false};
  std::thread thread;
};

StreamingTransfers::StreamingTransfers() = default;

StreamingTransfers::~StreamingTransfers() {
  std::vector<std::unique_ptr<Transfer>> transfers;
  {
    const sync::MutexLock lock(mutex_);
    transfers.swap(transfers_);
  }
  for (auto& transfer : transfers) transfer->control->abort();
  for (auto& transfer : transfers) transfer->thread.join();
}

// The lock comes by reference and is released around the joins; the analysis cannot follow
// a lock through a reference, so it checks the callers (WEFT_REQUIRES) only.
void StreamingTransfers::reap(sync::MutexLock& lock) WEFT_NO_THREAD_SAFETY_ANALYSIS {
  std::vector<std::unique_ptr<Transfer>> finished;
  std::erase_if(transfers_, [&](std::unique_ptr<Transfer>& transfer) {
    if (!transfer->finished) return false;
    finished.push_back(std::move(transfer));
    return true;
  });
  lock.unlock();
  for (auto& transfer : finished) transfer->thread.join();
  lock.lock();
}

void StreamingTransfers::start(GenerationChannel channel, HttpRequest request,
                               HttpTimeouts timeouts, std::unique_ptr<StreamConsumer> consumer,
                               std::string label) {
  auto transfer = std::make_unique<Transfer>();
  auto control = transfer->control;
  channel.on_cancel([control] { control->abort(); });
  // The thread owns everything it touches but the Transfer, which this object keeps until it
  // has joined the thread.
  transfer->thread =
      std::thread([channel, request = std::move(request), timeouts, consumer = std::move(consumer),
                   label = std::move(label), control, finished = &transfer->finished]() mutable {
        try {
          finish_generation(channel, request, timeouts, *consumer, *control, label);
          // Aborted without a cancel or an end from the consumer: the backend is going away. (A
          // generation that already has its terminal event ignores this one.)
          if (control->aborted()) {
            channel.error(ErrorCode::backend_unavailable,
                          label + ": the backend was unloaded before the answer ended");
          }
        } catch (const std::exception& error) {
          // Nothing may escape a thread; the generation still gets its one terminal event.
          channel.error(ErrorCode::internal, label + ": " + error.what());
        }
        *finished = true;
      });
  sync::MutexLock lock(mutex_);
  reap(lock);
  transfers_.push_back(std::move(transfer));
}

}  // namespace weft::backend
