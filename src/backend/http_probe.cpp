#include "backend/http_probe.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "backend/streaming_http.hpp"

namespace weft::backend {
namespace {

constexpr std::string_view kOllamaPort = "11434";

// "host[:port]" without a scheme, as Ollama reads it: the port defaults to 11434 (not
// http's 80), an empty host is localhost, and a bare IPv6 address gets its brackets.
std::string with_ollama_defaults(std::string_view host_port) {
  if (host_port.starts_with('[')) {
    const size_t close = host_port.find(']');
    if (close != std::string_view::npos && close + 1 == host_port.size()) {
      return std::string(host_port) + ":" + std::string(kOllamaPort);
    }
    return std::string(host_port);
  }
  const auto colons = std::ranges::count(host_port, ':');
  if (colons > 1) return "[" + std::string(host_port) + "]:" + std::string(kOllamaPort);
  if (colons == 0) return std::string(host_port) + ":" + std::string(kOllamaPort);
  const size_t colon = host_port.find(':');
  std::string host(host_port.substr(0, colon));
  std::string port(host_port.substr(colon + 1));
  return (host.empty() ? "localhost" : host) + ":" +
         (port.empty() ? std::string(kOllamaPort) : port);
}

}  // namespace

std::string ollama_base_url() {
  const char* value = std::getenv("OLLAMA_HOST");
  std::string_view host = value ? value : "";
  while (!host.empty() && (host.front() == ' ' || host.front() == '\t')) host.remove_prefix(1);
  while (!host.empty() && (host.back() == ' ' || host.back() == '\t' || host.back() == '/')) {
    host.remove_suffix(1);
  }
  if (host.empty()) return "http://localhost:" + std::string(kOllamaPort);
  if (host.find("://") != std::string_view::npos) return std::string(host);
  // Ollama ignores a path after host:port here; so does this.
  return "http://" + with_ollama_defaults(host.substr(0, host.find('/')));
}

bool http_get_succeeds(const std::string& url, std::chrono::milliseconds timeout) {
  return http_request({url, {}, {}}, timeout).ok();
}

}  // namespace weft::backend
