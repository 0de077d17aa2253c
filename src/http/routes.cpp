#include "http/routes.hpp"

#include "http/openai_response.hpp"
#include "weft/error.hpp"

namespace weft::http {

ApiShape shape_for_path(const std::string& path) {
  return path.rfind("/v1/", 0) == 0 ? ApiShape::openai : ApiShape::ollama;
}

void write_error(httplib::Response& response, ApiShape shape, const ApiError& error) {
  response.status = error.status;
  if (error.status == 429 || error.status == 503) response.set_header("Retry-After", "1");
  if (error.status == 401) response.set_header("WWW-Authenticate", "Bearer");
  const auto body = shape == ApiShape::openai ? openai_error_body(error) : ollama_error_body(error);
  response.set_content(dump_json(body), "application/json");
}

void set_json(httplib::Response& response, const nlohmann::json& body, int status) {
  response.status = status;
  response.set_content(dump_json(body), "application/json");
}

httplib::Server::Handler wrap_route(HttpService& service, std::string route, ApiShape shape,
                                    ExchangeHandler handler) {
  return [&service, route = std::move(route), shape, handler = std::move(handler)](
             const httplib::Request& request, httplib::Response& response) {
    auto exchange = std::make_shared<Exchange>(service, request.method, request.path, route);
    try {
      handler(request, response, exchange);
    } catch (const ApiException& error) {
      write_error(response, shape, error.error());
    } catch (const Error& error) {
      write_error(response, shape, error_from_code(error.code(), error.what()));
    } catch (const std::exception& error) {
      write_error(response, shape, error_from_code(ErrorCode::internal, error.what()));
    }
    exchange->status = response.status < 0 ? 200 : response.status;
  };
}

}  // namespace weft::http
