// The chat page at /ui (docs/ui.md): its embedded files, served with a Content-Security-Policy
// that allows only the page's own scripts, styles and API calls, and with ETags so that a
// browser revalidates instead of downloading again. The page is public (no API key): it holds
// no data, and asks the user for the key that its API calls then send.
#include <string_view>

#include "http/api_error.hpp"
#include "http/routes.hpp"
#include "http/ui_assets.hpp"

namespace weft::http {
namespace {

// No inline script or style, no other origin, no plugins or frames, and Trusted Types: an
// HTML string given to innerHTML or a similar sink throws, so even a bug in the page cannot
// turn model output into markup.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'";

// If-None-Match lists ETags (or `*`); a match means the browser's copy is current.
bool browser_copy_is_current(const httplib::Request& request, std::string_view etag) {
  const std::string listed = request.get_header_value("If-None-Match");
  if (listed.empty()) return false;
  if (listed == "*") return true;
  std::string_view rest = listed;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    // A weak validator (W/"…") matches too: If-None-Match compares weakly (RFC 9110 §13.1.2).
    if (item.rfind("W/", 0) == 0) item.remove_prefix(2);
    if (item == etag) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

void serve_asset(const httplib::Request& request, httplib::Response& response,
                 std::string_view name) {
  const UiAsset* asset = find_ui_asset(name);
  if (asset == nullptr) {
    throw ApiException({.status = 404,
                        .message = "the chat page has no file '" + std::string(name) + "'",
                        .code = "not_found"});
  }
  response.set_header("Content-Security-Policy", kContentSecurityPolicy);
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Cache-Control", "no-cache");
  response.set_header("ETag", std::string(asset->etag));
  if (browser_copy_is_current(request, asset->etag)) {
    response.status = 304;
    return;
  }
  response.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
}

}  // namespace

bool is_ui_path(const std::string& path) {
  return path == "/ui" || path.rfind("/ui/", 0) == 0;
}

void add_ui_routes(httplib::Server& server, HttpService& service) {
  const auto index = [](const httplib::Request& request, httplib::Response& response,
                        const std::shared_ptr<Exchange>&) {
    serve_asset(request, response, "index.html");
  };
  server.Get("/ui", wrap_route(service, "/ui", ApiShape::plain, index));
  server.Get("/ui/", wrap_route(service, "/ui", ApiShape::plain, index));
  server.Get(R"(/ui/([A-Za-z0-9_-]+\.[a-z]+))",
             wrap_route(service, "/ui", ApiShape::plain,
                        [](const httplib::Request& request, httplib::Response& response,
                           const std::shared_ptr<Exchange>&) {
                          serve_asset(request, response, request.matches[1].str());
                        }));
}

}  // namespace weft::http
