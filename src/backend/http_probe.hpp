// A quick reachability check used by backend auto-selection.
#pragma once

#include <chrono>
#include <string>

namespace weft::backend {

// OLLAMA_HOST as Ollama reads it, default http://localhost:11434: a URL is taken as it is;
// without a scheme it is http, and a missing port is 11434 ("0.0.0.0" → http://0.0.0.0:11434,
// ":8080" → http://localhost:8080).
std::string ollama_base_url();

// True when GET `url` answers with HTTP 2xx within `timeout`.
bool http_get_succeeds(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace weft::backend
