// A quick reachability check used by backend auto-selection.
#pragma once

#include <chrono>
#include <string>

namespace weft::backend {

// OLLAMA_HOST as Ollama reads it ("host:port", "http://host:port"), default localhost:11434.
std::string ollama_base_url();

// True when GET `url` answers with HTTP 2xx within `timeout`.
bool http_get_succeeds(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace weft::backend
