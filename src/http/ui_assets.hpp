// The chat page's files (src/http/ui/, docs/ui.md), embedded in the binary at build time by
// cmake/embed_ui_assets.cmake, so that `weft serve --http` serves /ui with nothing installed
// beside it.
#pragma once

#include <span>
#include <string_view>

namespace weft::http {

struct UiAsset {
  std::string_view name;  // the file's name, served at /ui/NAME
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;  // strong, quoted: a prefix of the body's SHA-256
};

// Every embedded file, in name order (defined in the generated ui_assets_data.cpp).
std::span<const UiAsset> ui_assets();

// The embedded file called `name`, or nullptr.
const UiAsset* find_ui_asset(std::string_view name);

}  // namespace weft::http
