// What the remote backends (ollama, openai) do alike around one HTTP request: the checks
// before a generation goes out, the JSON body text, and turning a failed blocking request
// into an error that names the backend, the URL and the server's own message.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "backend/streaming_http.hpp"
#include "weft/error.hpp"
#include "weft/generation.hpp"
#include "weft/types.hpp"

namespace weft::backend {

// Invalid UTF-8 in a prompt is replaced rather than thrown: the request still goes out.
std::string request_json(const nlohmann::json& body);

// "<label>: HTTP <status> from <url>: <message>".
std::string http_failure_text(std::string_view label, long status, const std::string& url,
                              const std::string& message);

// The model a generation goes to: the request's own, else `loaded_model`. When there is
// none, the request has no messages, or it sets an option only the native backend honours
// (backend/option_support.hpp), pushes an invalid_request error (starting with
// `label`; `how_to_name_model` says how to name one) into `channel` and returns nullopt.
std::optional<std::string> checked_generation_model(GenerationChannel& channel,
                                                    const GenerationRequest& request,
                                                    const std::string& loaded_model,
                                                    std::string_view label,
                                                    std::string_view how_to_name_model);

// A blocking GET that throws weft::Error unless it is answered with 2xx: backend_unavailable
// when no answer came, the status's code otherwise with `describe_body` applied to the
// server's error body. Returns the 2xx body.
// Runs one parsing step of a streamed body; a weft::Error it throws becomes the
// generation's terminal error event. Returns what `step` returns (false once it pushed a
// terminal event), or false after an error.
template <typename Step>
bool errors_to_channel(GenerationChannel& channel, const Step& step) {
  try {
    return step();
  } catch (const Error& error) {
    channel.error(error.code(), error.what());
    return false;
  }
}

std::string get_or_throw(const HttpRequest& request, std::chrono::milliseconds timeout,
                         std::string_view label,
                         std::string (*describe_body)(const std::string& body));

}  // namespace weft::backend
