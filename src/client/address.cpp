#include <charconv>

#include "protocol/runtime_dir.hpp"
#include "weft/client.hpp"
#include "weft/error.hpp"

namespace weft::client {
namespace {

Address parse_host_port(std::string_view text, std::string_view original) {
  auto malformed = [&](const std::string& why) {
    return Error(ErrorCode::invalid_request,
                 "malformed address '" + std::string(original) + "': " + why +
                     " (expected HOST:PORT, tcp://HOST:PORT, unix:PATH or a socket path)");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) throw malformed("no port");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) throw malformed("no host");
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    throw malformed("port must be a number from 1 to 65535");
  }
  return Address::tcp(std::string(host), static_cast<uint16_t>(port));
}

}  // namespace

Address Address::unix_socket(std::string path) {
  Address address;
  address.kind = Kind::unix_socket;
  address.path = std::move(path);
  return address;
}

Address Address::tcp(std::string host, uint16_t port) {
  Address address;
  address.kind = Kind::tcp;
  address.host = std::move(host);
  address.port = port;
  return address;
}

Address Address::parse(std::string_view text) {
  if (text.empty()) throw Error(ErrorCode::invalid_request, "empty address");
  if (text.substr(0, 5) == "unix:") {
    if (text.size() == 5) throw Error(ErrorCode::invalid_request, "unix: address without a path");
    return unix_socket(std::string(text.substr(5)));
  }
  if (text.substr(0, 6) == "tcp://") return parse_host_port(text.substr(6), text);
  if (text.find('/') != std::string_view::npos) return unix_socket(std::string(text));
  return parse_host_port(text, text);
}

std::string Address::to_string() const {
  if (kind == Kind::unix_socket) return "unix:" + path;
  bool ipv6 = host.find(':') != std::string::npos;
  return "tcp://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string default_runtime_dir() {
  return protocol::resolve_runtime_dir();
}

Address default_inference_address() {
  return Address::unix_socket(default_runtime_dir() + "/" + protocol::kInferenceSocketName);
}

std::string default_admin_socket_path() {
  return default_runtime_dir() + "/" + protocol::kAdminSocketName;
}

}  // namespace weft::client
