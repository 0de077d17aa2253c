#include "backend/http_probe.hpp"

#include <cstdlib>

#include "backend/streaming_http.hpp"

namespace weft::backend {

std::string ollama_base_url() {
  const char* host = std::getenv("OLLAMA_HOST");
  std::string url = (host && *host) ? host : "http://localhost:11434";
  if (url.find("://") == std::string::npos) url = "http://" + url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool http_get_succeeds(const std::string& url, std::chrono::milliseconds timeout) {
  return http_request({url, {}, {}}, timeout).ok();
}

}  // namespace weft::backend
