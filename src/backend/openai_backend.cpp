#include "backend/openai_backend.hpp"

#include <cstdlib>

#include "backend/openai_protocol.hpp"
#include "backend/remote_request.hpp"
#include "backend/sse_parser.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

using Clock = std::chrono::steady_clock;

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// "http://host:8000/", "http://host:8000/v1" and "http://host:8000" all name the same server.
std::string normalise_base_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) url.resize(url.size() - 3);
  if (url.find("://") == std::string::npos) url = "http://" + url;
  return url;
}

// Turns the SSE events of a streaming completion into the generation's events.
class OpenAiStream : public StreamConsumer {
 public:
  OpenAiStream(GenerationChannel channel, std::string url)
      : channel_(std::move(channel)), url_(std::move(url)) {}

  bool feed(std::string_view bytes) override {
    return errors_to_channel(channel_, [&] {
      for (const auto& event : sse_.feed(bytes)) {
        if (!take_event(event)) return false;
      }
      return true;
    });
  }

  void finish() override {
    const bool open = errors_to_channel(channel_, [&] {
      for (const auto& event : sse_.finish()) {
        if (!take_event(event)) return false;
      }
      return true;
    });
    if (!open) return;
    // Without [DONE], an answer that reported its finish_reason is still complete.
    if (finish_) {
      send_done();
      return;
    }
    channel_.error(ErrorCode::backend_unavailable,
                   "openai: the stream from " + url_ + " ended before \"data: [DONE]\"");
  }

  void http_error(long status, const std::string& body) override {
    channel_.error(error_code_for_http_status(status),
                   http_failure_text("openai", status, url_, openai::error_message(body)));
  }

 private:
  // Returns false once a terminal event was pushed (or the consumer went away).
  bool take_event(const SseEvent& event) {
    openai::Chunk chunk = openai::parse_stream_data(event.data);
    if (chunk.done_marker) {
      send_done();
      return false;
    }
    if (chunk.error) {
      channel_.error(ErrorCode::internal,
                     "openai: the server reported an error mid-stream: " + *chunk.error);
      return false;
    }
    if (chunk.usage) usage_ = chunk.usage;
    if (chunk.finish) finish_ = chunk.finish;
    if (chunk.text.empty()) return true;
    if (!first_token_) first_token_ = Clock::now() - started_;
    ++completion_chunks_;
    return channel_.token({std::move(chunk.text), std::nullopt});
  }

  void send_done() {
    DoneEvent done;
    done.reason = finish_.value_or(StopReason::end);
    // Servers that ignore stream_options send no usage; the chunk count is the best guess.
    done.usage = usage_.value_or(Usage{0, completion_chunks_});
    done.timings.total = Clock::now() - started_;
    done.timings.first_token = first_token_.value_or(std::chrono::nanoseconds{0});
    if (first_token_) done.timings.generation = done.timings.total - *first_token_;
    channel_.done(std::move(done));
  }

  GenerationChannel channel_;
  std::string url_;
  SseParser sse_;
  Clock::time_point started_ = Clock::now();
  std::optional<std::chrono::nanoseconds> first_token_;
  std::optional<StopReason> finish_;
  std::optional<Usage> usage_;
  uint32_t completion_chunks_ = 0;
};

}  // namespace

std::unique_ptr<StreamConsumer> make_openai_stream_consumer(GenerationChannel channel,
                                                            std::string url) {
  return std::make_unique<OpenAiStream>(std::move(channel), std::move(url));
}

OpenAiConfig OpenAiConfig::from_environment() {
  OpenAiConfig config;
  if (auto url = env_or_empty("WEFT_OPENAI_BASE_URL"); !url.empty()) config.base_url = url;
  config.api_key = env_or_empty("WEFT_OPENAI_API_KEY");
  if (config.api_key.empty()) config.api_key = env_or_empty("OPENAI_API_KEY");
  config.model = env_or_empty("WEFT_OPENAI_MODEL");
  config.timeouts = HttpTimeouts::from_environment();
  return config;
}

OpenAiBackend::OpenAiBackend(OpenAiConfig config) : config_(std::move(config)) {
  config_.base_url = normalise_base_url(config_.base_url);
}

std::vector<std::string> OpenAiBackend::auth_headers() const {
  if (config_.api_key.empty()) return {};
  return {"Authorization: Bearer " + config_.api_key};
}

Availability OpenAiBackend::available() const {
  std::string url = config_.base_url + "/v1/models";
  auto response = http_request({url, auth_headers(), {}}, config_.probe_timeout);
  if (response.ok()) return {true, {}};
  if (!response.transport_error.empty()) {
    return {false, "no OpenAI-compatible server answered GET " + url + " within " +
                       std::to_string(config_.probe_timeout.count()) + " ms (" +
                       response.transport_error + "; WEFT_OPENAI_BASE_URL sets the address)"};
  }
  return {false, "GET " + url + " answered HTTP " + std::to_string(response.status) + ": " +
                     openai::error_message(response.body)};
}

std::vector<std::string> OpenAiBackend::list_models() {
  std::string body = get_or_throw({config_.base_url + "/v1/models", auth_headers(), {}},
                                  config_.request_timeout, "openai", openai::error_message);
  return openai::parse_models(body);
}

void OpenAiBackend::load(const LoadOptions& options) {
  model_ = options.model_path.empty() ? config_.model : options.model_path;
  if (!model_.empty()) return;
  auto models = list_models();
  if (models.empty()) {
    throw Error(ErrorCode::backend_unavailable,
                "openai: the server at " + config_.base_url + " lists no models");
  }
  model_ = models.front();
}

ModelInfo OpenAiBackend::model_info() const {
  ModelInfo info;
  info.name = model_;  // the API says nothing more about a model
  return info;
}

GenerationStream OpenAiBackend::generate(const GenerationRequest& request) {
  GenerationChannel channel(name());
  GenerationStream stream(channel.state());
  auto model = checked_generation_model(channel, request, model_, "openai",
                                        "load one, set WEFT_OPENAI_MODEL or the request's model");
  if (!model) return stream;
  HttpRequest http;
  http.headers = auth_headers();
  http.headers.push_back("Accept: text/event-stream");
  if (request.raw_prompt) {
    http.url = config_.base_url + "/v1/completions";
    http.body = request_json(openai::completion_body(request, *model));
  } else {
    http.url = config_.base_url + "/v1/chat/completions";
    http.body = request_json(openai::chat_body(request, *model));
  }
  auto consumer = make_openai_stream_consumer(channel, http.url);
  transfers_.start(channel, std::move(http), config_.timeouts, std::move(consumer), name());
  return stream;
}

}  // namespace weft::backend
