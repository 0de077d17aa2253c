#include "http/http_service.hpp"

#include "backend/native_backend.hpp"
#include "http/api_error.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::http {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace

Exchange::Exchange(HttpService& service, std::string method, std::string path, std::string route)
    : service_(service),
      method_(std::move(method)),
      path_(std::move(path)),
      route_(std::move(route)) {}

Exchange::~Exchange() {
  service_.metrics().count_request(route_, status);
  std::string line =
      "http method=" + method_ + " path=" + path_ + " status=" + std::to_string(status);
  if (generation) {
    record.total = Clock::now() - received;
    service_.metrics().count_tokens(record.prompt_tokens, record.completion_tokens);
    line += ' ';
    line += server::format_request_log(record);
  }
  service_.log(server::LogLevel::info, line);
}

HttpService::HttpService(server::ServerContext& context, HttpServerOptions options)
    : context_(context), options_(std::move(options)) {}

ModelCatalog HttpService::catalog() const {
  return ModelCatalog(context_.model_path(), options_.models_dir);
}

void HttpService::require_ready() const {
  const auto state = context_.lifecycle();
  if (state == server::Lifecycle::ready) return;
  std::string why =
      state == server::Lifecycle::draining ? "the server is shutting down" : "the model is loading";
  throw ApiException(
      {.status = 503,
       .message = why + " (" + std::string(server::to_string(state)) + "); retry later",
       .type = "server_error",
       .code = "service_unavailable"});
}

std::shared_ptr<Backend> HttpService::backend() const {
  auto backend = context_.backend();
  if (!backend) {
    throw ApiException({.status = 503,
                        .message = "no model is loaded yet; retry later",
                        .type = "server_error",
                        .code = "service_unavailable"});
  }
  return backend;
}

std::string HttpService::served_name() const {
  auto backend = context_.backend();
  return catalog().served_name(backend ? backend->model_info().name : "");
}

std::string HttpService::resolve_model(const std::string& requested) {
  auto backend = context_.backend();
  const std::string backend_name = backend ? backend->model_info().name : "";
  auto found = catalog().find(requested, backend_name);
  if (!found) throw model_not_found(requested);
  if (found->name == catalog().served_name(backend_name)) return found->name;
  if (!options_.switch_model || found->path.empty()) {
    throw ApiException({.status = 400,
                        .message = "model '" + requested + "' is not the one loaded",
                        .param = "model",
                        .code = "model_not_loaded"});
  }
  sync::MutexLock lock(switch_mutex_);
  if (context_.model_path() != found->path && !options_.switch_model(found->path)) {
    throw ApiException({.status = 500,
                        .message = "model '" + requested +
                                   "' could not be loaded (the server log says why); the "
                                   "previous model is still served",
                        .type = "server_error",
                        .code = "model_load_failed"});
  }
  require_ready();
  return found->name;
}

std::shared_ptr<AdmissionSlot> HttpService::take_slot() {
  return std::make_shared<AdmissionSlot>(context_.admission(), context_.next_ticket());
}

chat::DecoderConfig HttpService::decoder_config(bool tools) const {
  chat::DecoderConfig config;
  auto loaded = context_.backend();
  if (auto* native = dynamic_cast<backend::NativeBackend*>(loaded.get())) {
    auto source = native->chat_template_source();
    if (!source.empty()) config = chat::decoder_config_for_template(source);
  }
  if (!tools) config.tool_calls = chat::ToolCallFormat::none;
  return config;
}

MetricsGauges HttpService::gauges() const {
  MetricsGauges gauges;
  gauges.requests_active = context_.admission().active();
  gauges.requests_queued = context_.admission().queued();
  auto loaded = context_.backend();
  if (auto* native = dynamic_cast<backend::NativeBackend*>(loaded.get())) {
    if (auto* scheduler = native->scheduler()) {
      auto stats = scheduler->stats();
      gauges.has_kv = true;
      gauges.kv_pages_in_use = static_cast<uint64_t>(stats.pages_in_use);
      gauges.kv_pages_capacity = static_cast<uint64_t>(stats.pages_capacity);
      gauges.prompt_tokens_cached = static_cast<uint64_t>(stats.prompt_tokens_cached);
      gauges.prompt_tokens_computed = static_cast<uint64_t>(stats.prompt_tokens_computed);
    }
  }
  return gauges;
}

void HttpService::generate(const GenerationRequest& request, Exchange& exchange,
                           const std::function<bool(const Event&)>& on_event,
                           const std::function<bool()>& client_alive) {
  exchange.generation = true;
  auto& record = exchange.record;
  record.id = request.id;
  auto backend = this->backend();
  record.backend = backend->name();
  auto handle = std::make_shared<server::GenerationHandle>();
  {
    sync::MutexLock lock(mutex_);
    if (refusing_) {
      throw ApiException({.status = 503,
                          .message = "the server is shutting down",
                          .type = "server_error",
                          .code = "service_unavailable"});
    }
    running_.insert(handle);
  }
  GenerationStream stream = server::start_generation(*backend, request);
  if (!handle->attach(&stream)) stream.cancel();
  bool reading = true;
  std::optional<Clock::time_point> last_token;
  uint32_t completion_before = record.completion_tokens;
  while (true) {
    auto event = stream.next_for(std::chrono::milliseconds(100));
    if (!event) {
      if (stream.finished()) break;
      if (reading && !client_alive()) {
        reading = false;
        stream.cancel();
      }
      continue;
    }
    if (std::holds_alternative<TokenEvent>(*event)) {
      const auto now = Clock::now();
      if (!record.time_to_first_token) {
        record.time_to_first_token = now - exchange.received;
        metrics_.observe_time_to_first_token(seconds(*record.time_to_first_token));
      }
      if (last_token) metrics_.observe_inter_token(seconds(now - *last_token));
      last_token = now;
      ++record.completion_tokens;
    } else if (auto* done = std::get_if<DoneEvent>(&*event)) {
      if (!done->backend.empty()) record.backend = done->backend;
      // n choices share one prompt: it counts once, their completions add up.
      record.prompt_tokens = done->usage.prompt_tokens;
      record.cached_prompt_tokens = done->usage.cached_prompt_tokens;
      record.completion_tokens = completion_before + done->usage.completion_tokens;
      record.stop_reason = std::string(to_string(done->reason));
    } else {
      record.stop_reason = "error";
      record.error = std::get<ErrorEvent>(*event).code;
    }
    if (reading && !on_event(*event)) {
      reading = false;
      stream.cancel();
    }
  }
  handle->detach();
  sync::MutexLock lock(mutex_);
  running_.erase(handle);
}

void HttpService::cancel_all() {
  sync::MutexLock lock(mutex_);
  refusing_ = true;
  for (const auto& handle : running_) handle->cancel();
}

}  // namespace weft::http
