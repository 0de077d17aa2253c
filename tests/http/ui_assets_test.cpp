// The chat page's files as the binary embeds them (cmake/embed_ui_assets.cmake): every file
// of src/http/ui/ byte for byte, with the Content-Type of its extension and an ETag that
// changes with its content.
#include "http/ui_assets.hpp"
#include "support/shared_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace weft::http {
namespace {

const std::filesystem::path kUiDir = std::filesystem::path(WEFT_SOURCE_DIR) / "src/http/ui";

TEST(UiAssets, EveryFileIsEmbeddedByteForByteWithItsContentType) {
  const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
  };
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(kUiDir)) {
    const std::string name = entry.path().filename().string();
    on_disk.insert(name);
    const UiAsset* asset = find_ui_asset(name);
    ASSERT_NE(asset, nullptr) << name << " is not embedded";
    EXPECT_EQ(asset->body, test::read_text_file(entry.path())) << name;
    EXPECT_EQ(asset->content_type, types.at(entry.path().extension().string())) << name;
  }
  std::set<std::string> embedded;
  for (const auto& asset : ui_assets()) embedded.emplace(asset.name);
  EXPECT_EQ(embedded, on_disk);
  for (const char* page_file : {"index.html", "chat.js", "markdown.js", "style.css"}) {
    EXPECT_TRUE(on_disk.count(page_file)) << page_file;
  }
  EXPECT_EQ(find_ui_asset("missing.js"), nullptr);
  EXPECT_EQ(find_ui_asset(""), nullptr);
}

TEST(UiAssets, ETagsAreQuotedAndDifferWithTheContent) {
  std::set<std::string_view> etags;
  for (const auto& asset : ui_assets()) {
    ASSERT_GE(asset.etag.size(), 3u);
    EXPECT_EQ(asset.etag.front(), '"');
    EXPECT_EQ(asset.etag.back(), '"');
    EXPECT_TRUE(etags.insert(asset.etag).second) << asset.name << " shares an ETag";
  }
}

}  // namespace
}  // namespace weft::http
