#include "http/ui_assets.hpp"

#include <algorithm>

namespace weft::http {

const UiAsset* find_ui_asset(std::string_view name) {
  const auto assets = ui_assets();
  const auto found = std::find_if(assets.begin(), assets.end(),
                                  [name](const UiAsset& asset) { return asset.name == name; });
  return found == assets.end() ? nullptr : &*found;
}

}  // namespace weft::http
