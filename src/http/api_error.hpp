// Errors of the HTTP APIs: a status plus the fields OpenAI's error object carries. Each API
// writes it in its own shape (OpenAI {"error":{message,type,param,code}}, Ollama {"error":…}).
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "weft/events.hpp"

namespace weft::http {

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param{};  // "" = null: the request field at fault
  std::string code{};   // "" = null
};

// Thrown by request parsing and the route handlers; the server answers it in the API's shape.
class ApiException : public std::runtime_error {
 public:
  explicit ApiException(ApiError error)
      : std::runtime_error(error.message), error_(std::move(error)) {}
  const ApiError& error() const { return error_; }

 private:
  ApiError error_;
};

// 400 naming the field: "'temperature' must be a number".
ApiException field_error(const std::string& field, const std::string& what);
ApiException model_not_found(const std::string& model);
// The HTTP status and type for a backend's error code (queue_full → 429, …).
ApiError error_from_code(ErrorCode code, const std::string& message);

nlohmann::json openai_error_body(const ApiError& error);
nlohmann::json ollama_error_body(const ApiError& error);

}  // namespace weft::http
