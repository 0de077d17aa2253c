#include "http/api_error.hpp"

namespace weft::http {

ApiException field_error(const std::string& field, const std::string& what) {
  return ApiException({.status = 400,
                       .message = "'" + field + "' " + what,
                       .type = "invalid_request_error",
                       .param = field,
                       .code = "invalid_value"});
}

ApiException model_not_found(const std::string& model) {
  return ApiException({.status = 404,
                       .message = "model '" + model + "' not found",
                       .type = "invalid_request_error",
                       .param = "model",
                       .code = "model_not_found"});
}

ApiError error_from_code(ErrorCode code, const std::string& message) {
  switch (code) {
    case ErrorCode::invalid_request:
      return {400, message, "invalid_request_error", "", ""};
    case ErrorCode::prompt_too_long:  // OpenAI's code for the same refusal
      return {400, message, "invalid_request_error", "messages", "context_length_exceeded"};
    case ErrorCode::backend_unavailable:
      return {503, message, "server_error", "", "backend_unavailable"};
    case ErrorCode::queue_full:
      return {429, message, "rate_limit_error", "", "queue_full"};
    case ErrorCode::frame_too_large:
      return {413, message, "invalid_request_error", "", "request_too_large"};
    case ErrorCode::internal:
      break;
  }
  return {500, message, "server_error", "", "internal_error"};
}

nlohmann::json openai_error_body(const ApiError& error) {
  auto text_or_null = [](const std::string& text) {
    return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
  };
  return {{"error",
           {{"message", error.message},
            {"type", error.type},
            {"param", text_or_null(error.param)},
            {"code", text_or_null(error.code)}}}};
}

nlohmann::json ollama_error_body(const ApiError& error) {
  return {{"error", error.message}};
}

}  // namespace weft::http
