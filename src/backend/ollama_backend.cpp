#include "backend/ollama_backend.hpp"

#include "backend/http_probe.hpp"
#include "backend/line_splitter.hpp"
#include "backend/ollama_protocol.hpp"
#include "backend/remote_request.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

using Clock = std::chrono::steady_clock;

// Turns the NDJSON lines of /api/chat or /api/generate into the generation's events.
class OllamaStream : public StreamConsumer {
 public:
  OllamaStream(GenerationChannel channel, std::string url)
      : channel_(std::move(channel)), url_(std::move(url)) {}

  bool feed(std::string_view bytes) override {
    return errors_to_channel(channel_, [&] {
      for (const auto& line : lines_.feed(bytes)) {
        if (!line.empty() && !take_line(line)) return false;
      }
      return true;
    });
  }

  void finish() override {
    const bool open = errors_to_channel(channel_, [&] {
      auto rest = lines_.take_rest();
      return rest.empty() || take_line(rest);
    });
    if (!open) return;
    channel_.error(
        ErrorCode::backend_unavailable,
        "ollama: the stream from " + url_ + " ended before its final \"done\": true line");
  }

  void http_error(long status, const std::string& body) override {
    channel_.error(error_code_for_http_status(status),
                   http_failure_text("ollama", status, url_, ollama::error_message(body)));
  }

 private:
  // Returns false once a terminal event was pushed (or the consumer went away).
  bool take_line(const std::string& line) {
    ollama::Chunk chunk = ollama::parse_stream_line(line);
    if (chunk.error) {
      channel_.error(ErrorCode::internal,
                     "ollama: the server reported an error mid-stream: " + *chunk.error);
      return false;
    }
    if (!chunk.text.empty()) {
      if (!first_token_) first_token_ = Clock::now() - started_;
      if (!channel_.token({std::move(chunk.text), std::nullopt})) return false;
    }
    if (!chunk.done) return true;
    DoneEvent done;
    done.reason = chunk.reason;
    done.usage = chunk.usage;
    done.timings = chunk.timings;
    done.timings.first_token = first_token_.value_or(std::chrono::nanoseconds{0});
    channel_.done(std::move(done));
    return false;
  }

  GenerationChannel channel_;
  std::string url_;
  LineSplitter lines_;
  Clock::time_point started_ = Clock::now();
  std::optional<std::chrono::nanoseconds> first_token_;
};

}  // namespace

std::unique_ptr<StreamConsumer> make_ollama_stream_consumer(GenerationChannel channel,
                                                            std::string url) {
  return std::make_unique<OllamaStream>(std::move(channel), std::move(url));
}

OllamaConfig OllamaConfig::from_environment() {
  OllamaConfig config;
  config.base_url = ollama_base_url();
  config.timeouts = HttpTimeouts::from_environment();
  return config;
}

OllamaBackend::OllamaBackend(OllamaConfig config) : config_(std::move(config)) {
  while (!config_.base_url.empty() && config_.base_url.back() == '/') config_.base_url.pop_back();
}

Availability OllamaBackend::available() const {
  std::string url = config_.base_url + "/api/tags";
  auto response = http_request({url, {}, {}}, config_.probe_timeout);
  if (response.ok()) return {true, {}};
  std::string why =
      response.transport_error.empty()
          ? "HTTP " + std::to_string(response.status) + ": " + ollama::error_message(response.body)
          : response.transport_error;
  return {false, "no Ollama server answered GET " + url + " within " +
                     std::to_string(config_.probe_timeout.count()) + " ms (" + why +
                     "; OLLAMA_HOST sets the address)"};
}

std::vector<std::string> OllamaBackend::list_models() {
  std::string body = get_or_throw({config_.base_url + "/api/tags", {}, {}}, config_.request_timeout,
                                  "ollama", ollama::error_message);
  return ollama::parse_tags(body);
}

void OllamaBackend::load(const LoadOptions& options) {
  model_ = options.model_path;
  num_ctx_ = options.context_length;
  if (model_.empty()) {
    auto models = list_models();
    if (models.empty()) {
      throw Error(ErrorCode::backend_unavailable,
                  "ollama: the server at " + config_.base_url +
                      " has no models; `ollama pull NAME` fetches one");
    }
    model_ = models.front();
  }
  std::string url = config_.base_url + "/api/show";
  nlohmann::json body = {{"model", model_}, {"name", model_}};
  auto response = http_request({url, {}, request_json(body)}, config_.request_timeout);
  if (!response.transport_error.empty()) {
    throw Error(ErrorCode::backend_unavailable,
                "ollama: POST " + url + " failed: " + response.transport_error);
  }
  if (response.status == 404) {
    throw Error(ErrorCode::invalid_request, "ollama: model '" + model_ +
                                                "' is not on the server at " + config_.base_url +
                                                " (" + ollama::error_message(response.body) +
                                                "); `ollama pull " + model_ + "` fetches it");
  }
  // Other failures leave only the name known: generation may still work.
  if (response.ok()) {
    info_ = ollama::parse_show(model_, response.body);
  } else {
    info_ = ModelInfo{};
    info_.name = model_;
  }
}

GenerationStream OllamaBackend::generate(const GenerationRequest& request) {
  GenerationChannel channel(name());
  GenerationStream stream(channel.state());
  auto model = checked_generation_model(channel, request, model_, "ollama",
                                        "load one or set the request's model");
  if (!model) return stream;
  HttpRequest http;
  if (request.raw_prompt) {
    http.url = config_.base_url + "/api/generate";
    http.body = request_json(ollama::generate_body(request, *model, num_ctx_));
  } else {
    http.url = config_.base_url + "/api/chat";
    http.body = request_json(ollama::chat_body(request, *model, num_ctx_));
  }
  auto consumer = make_ollama_stream_consumer(channel, http.url);
  transfers_.start(channel, std::move(http), config_.timeouts, std::move(consumer), name());
  return stream;
}

}  // namespace weft::backend
