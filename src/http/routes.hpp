// The routes of the HTTP server and what they share: the wrapper that turns exceptions into
// each API's error shape and accounts every request (Exchange). Include only from src/http
// (cpp-httplib's feature macros are set for those files alone).
#pragma once

#include <httplib.h>

#include <functional>
#include <memory>
#include <string>

#include "http/api_error.hpp"
#include "http/http_service.hpp"

namespace weft::http {

enum class ApiShape { openai, ollama, plain };

// /v1/… answers in OpenAI's shape, everything else in Ollama's.
ApiShape shape_for_path(const std::string& path);
// The body in the API's shape; Retry-After on 429 and 503.
void write_error(httplib::Response& response, ApiShape shape, const ApiError& error);

using ExchangeHandler = std::function<void(const httplib::Request&, httplib::Response&,
                                           const std::shared_ptr<Exchange>&)>;
httplib::Server::Handler wrap_route(HttpService& service, std::string route, ApiShape shape,
                                    ExchangeHandler handler);

// Writes JSON; for a stream, false once the client is gone.
void set_json(httplib::Response& response, const nlohmann::json& body, int status = 200);

void add_openai_routes(httplib::Server& server, HttpService& service);
void add_ollama_routes(httplib::Server& server, HttpService& service);
// The chat page (docs/ui.md): /ui, /ui/ and /ui/FILE.
void add_ui_routes(httplib::Server& server, HttpService& service);
// Whether `path` is the chat page's, which needs no API key.
bool is_ui_path(const std::string& path);

}  // namespace weft::http
