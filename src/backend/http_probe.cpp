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
  // Built by appending: GCC 12 warns (-Wrestrict, a false positive) on "literal" + string.
  std::string out;
  const auto with_default_port = [&] {
    out.append(":");
    out.append(kOllamaPort);
    return out;
  };
  if (host_port.starts_with('[')) {
    out.append(host_port);
    const size_t close = host_port.find(']');
    if (close != std::string_view::npos && close + 1 == host_port.size()) with_default_port();
    return out;
  }
  const auto colons = std::ranges::count(host_port, ':');
  if (colons > 1) {
    out.append("[");
    out.append(host_port);
    out.append("]");
    return with_default_port();
  }
  if (colons == 0) {
    out.append(host_port.empty() ? std::string_view("localhost") : host_port);
    return with_default_port();
  }
  const size_t colon = host_port.find(':');
  const std::string_view host = host_port.substr(0, colon);
  const std::string_view port = host_port.substr(colon + 1);
  out.append(host.empty() ? std::string_view("localhost") : host);
  if (port.empty()) return with_default_port();
  out.append(":");
  out.append(port);
  return out;
}

}  // namespace

std::string ollama_base_url() {
  const char* value = std::getenv("OLLAMA_HOST");
  std::string_view host = value ? value : "";
  while (!host.empty() && (host.front() == ' ' || host.front() == '\t')) host.remove_prefix(1);
  while (!host.empty() && (host.back() == ' ' || host.back() == '\t' || host.back() == '/')) {
    host.remove_suffix(1);
  }
  if (host.find("://") != std::string_view::npos) return std::string(host);
  // Ollama ignores a path after host:port here; so does this.
  std::string url = "http://";
  url.append(with_ollama_defaults(host.substr(0, host.find('/'))));
  return url;
}

bool http_get_succeeds(const std::string& url, std::chrono::milliseconds timeout) {
  return http_request({url, {}, {}}, timeout).ok();
}

}  // namespace weft::backend
