#include "backend/remote_request.hpp"

#include "backend/option_support.hpp"
#include "weft/error.hpp"

namespace weft::backend {

std::string request_json(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string http_failure_text(std::string_view label, long status, const std::string& url,
                              const std::string& message) {
  return std::string(label) + ": HTTP " + std::to_string(status) + " from " + url + ": " + message;
}

std::optional<std::string> checked_generation_model(GenerationChannel& channel,
                                                    const GenerationRequest& request,
                                                    const std::string& loaded_model,
                                                    std::string_view label,
                                                    std::string_view how_to_name_model) {
  std::string model = request.model.empty() ? loaded_model : request.model;
  if (model.empty()) {
    channel.error(ErrorCode::invalid_request,
                  std::string(label) + ": no model named: " + std::string(how_to_name_model));
    return std::nullopt;
  }
  if (request.messages.empty()) {
    channel.error(ErrorCode::invalid_request, std::string(label) + ": the request has no messages");
    return std::nullopt;
  }
  if (auto unsupported = unsupported_native_only_option(request.options, label)) {
    channel.error(ErrorCode::invalid_request, std::string(label) + ": " + *unsupported);
    return std::nullopt;
  }
  return model;
}

std::string get_or_throw(const HttpRequest& request, std::chrono::milliseconds timeout,
                         std::string_view label,
                         std::string (*describe_body)(const std::string& body)) {
  auto response = http_request(request, timeout);
  if (!response.transport_error.empty()) {
    throw Error(ErrorCode::backend_unavailable, std::string(label) + ": GET " + request.url +
                                                    " failed: " + response.transport_error);
  }
  if (!response.ok()) {
    throw Error(
        error_code_for_http_status(response.status),
        http_failure_text(label, response.status, request.url, describe_body(response.body)));
  }
  return std::move(response.body);
}

}  // namespace weft::backend
