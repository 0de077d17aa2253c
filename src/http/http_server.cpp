#include "http/http_server.hpp"

#include <algorithm>

#include "http/routes.hpp"
#include "server/auth.hpp"
#include "server/listeners.hpp"
#include "weft/error.hpp"

namespace weft::http {
namespace {

// Every open connection holds a pool thread (streams for their whole length), so the pool
// is sized for many concurrent streaming clients.
constexpr size_t kLeastThreads = 64;

bool is_public_path(const httplib::Request& request) {
  return request.path == "/health" || request.method == "OPTIONS" || is_ui_path(request.path);
}

std::string bearer_token(const httplib::Request& request) {
  const std::string value = request.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (value.size() < prefix.size()) return "";
  // The scheme is case-insensitive (RFC 9110 §11.1).
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return "";
    }
  }
  return value.substr(prefix.size());
}

std::string allowed_origin(const HttpServerOptions& options, const std::string& origin) {
  if (origin.empty()) return "";
  for (const auto& allowed : options.cors_origins) {
    if (allowed == "*") return "*";
    if (allowed == origin) return origin;
  }
  return "";
}

}  // namespace

void parse_http_address(const std::string& text, bool allow_non_loopback,
                        HttpServerOptions& options) {
  auto endpoint = server::parse_tcp_endpoint(text.empty() ? server::kDefaultHttpAddress : text,
                                             allow_non_loopback);
  options.host = endpoint.address().to_string();
  options.port = endpoint.port();
}

struct HttpServer::Impl {
  Impl(server::ServerContext& context, HttpServerOptions options)
      : service(context, std::move(options)) {}

  void configure() {
    const auto& options = service.options();
    const size_t threads = std::max<size_t>(options.threads, kLeastThreads);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_payload_max_length(options.body_limit);
    server.set_keep_alive_timeout(5);
    server.set_read_timeout(30);
    server.set_write_timeout(options.write_timeout);
    server.set_tcp_nodelay(true);
    server.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
          return before_routing(request, response);
        });
    // Called for every status ≥ 400: fills in the body only where the route wrote none
    // (unknown routes, 413 from the body limit, 400 from a malformed request).
    server.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request& request, httplib::Response& response) {
          if (!response.body.empty() || response.is_chunked_content_provider_) {
            return httplib::Server::HandlerResponse::Unhandled;
          }
          ApiError error{.status = response.status, .message = ""};
          if (response.status == 404) {
            error.message = "no route " + request.method + " " + request.path;
            error.code = "not_found";
          } else if (response.status == 413) {
            error.message = "the request body is larger than the server's limit";
            error.code = "request_too_large";
          } else {
            error.message =
                "the request could not be served (HTTP " + std::to_string(response.status) + ")";
          }
          write_error(response, shape_for_path(request.path), error);
          return httplib::Server::HandlerResponse::Handled;
        }));
    server.Options(
        ".*", [](const httplib::Request&, httplib::Response& response) { response.status = 204; });
    server.Get("/health",
               wrap_route(service, "/health", ApiShape::plain,
                          [this](const httplib::Request&, httplib::Response& response,
                                 const std::shared_ptr<Exchange>&) { health(response); }));
    server.Get("/metrics", wrap_route(service, "/metrics", ApiShape::plain,
                                      [this](const httplib::Request&, httplib::Response& response,
                                             const std::shared_ptr<Exchange>&) {
                                        response.set_content(
                                            service.metrics().render(service.gauges()),
                                            "text/plain; version=0.0.4; charset=utf-8");
                                      }));
    add_openai_routes(server, service);
    add_ollama_routes(server, service);
    add_ui_routes(server, service);
  }

  void health(httplib::Response& response) {
    const auto state = service.context().lifecycle();
    if (state == server::Lifecycle::ready) {
      set_json(response, {{"status", "ok"}});
      return;
    }
    response.set_header("Retry-After", "1");
    set_json(response, {{"status", std::string(server::to_string(state))}}, 503);
  }

  // Every body weft reads is JSON, whatever the client labels it: `curl -d` sends
  // application/x-www-form-urlencoded, which cpp-httplib would cap at 8 KB (413) and parse as
  // a query. The label is dropped before the body is read (the pre-routing handler runs
  // between the headers and the body; the request object itself is not const there).
  static void read_form_bodies_as_json(const httplib::Request& request) {
    auto& headers = const_cast<httplib::Request&>(request).headers;
    auto type = headers.find("Content-Type");
    if (type != headers.end() && type->second.rfind("application/x-www-form-urlencoded", 0) == 0) {
      type->second = "application/json";
    }
  }

  httplib::Server::HandlerResponse before_routing(const httplib::Request& request,
                                                  httplib::Response& response) {
    read_form_bodies_as_json(request);
    const auto& options = service.options();
    const std::string origin = allowed_origin(options, request.get_header_value("Origin"));
    if (!origin.empty()) {
      response.set_header("Access-Control-Allow-Origin", origin);
      if (origin != "*") response.set_header("Vary", "Origin");
      if (request.method == "OPTIONS") {
        response.set_header("Access-Control-Allow-Methods", "GET, POST, HEAD, OPTIONS");
        const auto asked = request.get_header_value("Access-Control-Request-Headers");
        response.set_header("Access-Control-Allow-Headers",
                            asked.empty() ? "Authorization, Content-Type" : asked);
        response.set_header("Access-Control-Max-Age", "600");
      }
    }
    if (options.api_key.empty() || is_public_path(request)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (server::keys_match(bearer_token(request), options.api_key)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    Exchange exchange(service, request.method, request.path, "unauthorized");
    exchange.status = 401;
    write_error(response, shape_for_path(request.path),
                {.status = 401,
                 .message = "a valid API key is required (Authorization: Bearer KEY)",
                 .type = "invalid_request_error",
                 .code = "invalid_api_key"});
    return httplib::Server::HandlerResponse::Handled;
  }

  HttpService service;
  httplib::Server server;
  std::thread thread;
};

HttpServer::HttpServer(server::ServerContext& context, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(context, std::move(options))) {
  impl_->configure();
}

HttpServer::~HttpServer() {
  stop();
}

std::string HttpServer::start() {
  const auto& options = impl_->service.options();
  if (!impl_->server.bind_to_port(options.host, options.port)) {
    throw Error(ErrorCode::invalid_request,
                "cannot listen for HTTP on " + address() + " (is the port in use?)");
  }
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  return "http on " + address() + " (chat page: http://" + address() + "/ui)";
}

void HttpServer::cancel_generations() {
  impl_->service.cancel_all();
}

void HttpServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

std::string HttpServer::address() const {
  const auto& options = impl_->service.options();
  const bool v6 = options.host.find(':') != std::string::npos;
  return (v6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
}

std::unique_ptr<server::Frontend> http_frontend(server::ServerContext& context,
                                                const server::ServeConfig& config,
                                                server::FrontendHooks hooks) {
  if (config.http.empty()) return nullptr;
  HttpServerOptions options;
  parse_http_address(config.http, config.allow_non_loopback, options);
  options.api_key = config.api_key;
  options.cors_origins = config.http_cors_origins;
  options.body_limit = config.http_body_limit;
  options.write_timeout = config.write_timeout;
  // Every queued or running stream holds a connection thread, plus room for the rest.
  options.threads = config.parallel + config.queue + 16;
  options.models_dir = config.models_dir;
  options.switch_model = std::move(hooks.switch_model);
  return std::make_unique<HttpServer>(context, std::move(options));
}

}  // namespace weft::http
