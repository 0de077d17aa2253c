#include "store/model_store.hpp"

#include <sys/stat.h>

#include <unistd.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "weft/error.hpp"

namespace weft::store {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Manifests larger than this are not ours.
constexpr std::uintmax_t kManifestLimit = 1 << 20;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::optional<StoreEntry> describe(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  StoreEntry entry;
  entry.path = path;
  entry.size = static_cast<uint64_t>(info.st_size);
  entry.modified = info.st_mtime;
  return entry;
}

std::string hex_of(const std::string& digest) {
  for (const char* prefix : {"sha256:", "sha256-"}) {
    if (digest.rfind(prefix, 0) == 0) {
      const std::string hex = digest.substr(7);
      const bool valid = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                         });
      if (valid) return hex;
    }
  }
  throw Error(ErrorCode::invalid_request, "'" + digest + "' is not a sha256 digest");
}

Manifest manifest_from_json(const std::string& text, const std::string& path) {
  try {
    const json value = json::parse(text);
    Manifest manifest;
    manifest.name = value.at("name").get<std::string>();
    manifest.source = value.value("source", "");
    manifest.url = value.value("url", "");
    manifest.file = value.value("file", "");
    manifest.digest = value.at("model").at("digest").get<std::string>();
    manifest.size = value.at("model").at("size").get<uint64_t>();
    if (value.contains("layers")) manifest.extra_json = value["layers"].dump();
    hex_of(manifest.digest);
    return manifest;
  } catch (const json::exception& error) {
    throw Error(ErrorCode::invalid_request, "manifest " + path + " is not valid: " + error.what());
  }
}

std::string manifest_to_json(const Manifest& manifest) {
  json value = {{"schema_version", 1},
                {"name", manifest.name},
                {"source", manifest.source},
                {"url", manifest.url},
                {"model", {{"digest", manifest.digest}, {"size", manifest.size}}}};
  if (!manifest.file.empty()) value["file"] = manifest.file;
  if (!manifest.extra_json.empty()) value["layers"] = json::parse(manifest.extra_json);
  return value.dump(2) + "\n";
}

std::string read_small_file(const std::string& path) {
  std::error_code error;
  if (fs::file_size(path, error) > kManifestLimit || error) {
    throw Error(ErrorCode::invalid_request, "manifest " + path + " is too large or unreadable");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ModelStore::ModelStore(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string ModelStore::default_root() {
  if (auto dir = env("WEFT_MODELS"); !dir.empty()) return dir;
  if (auto dir = env("WEFT_MODELS_DIR"); !dir.empty()) return dir;
  if (auto data = env("XDG_DATA_HOME"); !data.empty()) return data + "/weft/models";
  if (auto home = env("HOME"); !home.empty()) return home + "/.local/share/weft/models";
  throw Error(ErrorCode::invalid_request,
              "no model store: set WEFT_MODELS (or XDG_DATA_HOME or HOME)");
}

std::string ModelStore::blob_path(const std::string& digest) const {
  return blobs_dir() + "/sha256-" + hex_of(digest);
}

std::vector<std::pair<std::string, Manifest>> ModelStore::manifests() const {
  std::vector<std::pair<std::string, Manifest>> found;
  std::error_code error;
  const fs::path dir = root_ + "/manifests";
  if (!fs::is_directory(dir, error)) return found;
  for (auto it = fs::recursive_directory_iterator(dir, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file(error) ||
        it->path().filename().string().find(".tmp") != std::string::npos) {
      continue;
    }
    const std::string path = it->path().string();
    try {
      found.emplace_back(path, manifest_from_json(read_small_file(path), path));
    } catch (const Error&) {
      // An unreadable manifest is not a model; `weft list` shows the others.
    }
  }
  return found;
}

std::vector<StoreEntry> ModelStore::list() const {
  std::vector<StoreEntry> named;
  for (const auto& [manifest_file, manifest] : manifests()) {
    auto entry = describe(blob_path(manifest.digest));
    if (!entry) continue;  // a manifest whose blob is gone
    entry->name = manifest.name;
    entry->digest = manifest.digest;
    if (auto written = describe(manifest_file)) entry->modified = written->modified;
    named.push_back(*entry);
  }
  std::vector<StoreEntry> plain;
  std::error_code error;
  if (fs::is_directory(root_, error)) {
    for (const auto& item : fs::directory_iterator(root_, error)) {
      if (item.path().extension() != ".gguf") continue;
      auto entry = describe(item.path().string());
      if (!entry) continue;
      entry->name = item.path().stem().string();
      entry->plain_file = true;
      plain.push_back(*entry);
    }
  }
  const auto by_name = [](const StoreEntry& a, const StoreEntry& b) { return a.name < b.name; };
  std::sort(named.begin(), named.end(), by_name);
  std::sort(plain.begin(), plain.end(), by_name);
  named.insert(named.end(), plain.begin(), plain.end());
  return named;
}

std::optional<StoreEntry> ModelStore::find(const std::string& name) const {
  std::string stem = name;
  if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, ".gguf") == 0)
    stem.resize(stem.size() - 5);
  if (stem.size() > 7 && stem.compare(stem.size() - 7, 7, ":latest") == 0)
    stem.resize(stem.size() - 7);
  for (const auto& entry : list()) {
    if (entry.plain_file ? entry.name == stem : same_model_name(entry.name, name)) return entry;
  }
  return std::nullopt;
}

std::optional<std::string> ModelStore::name_of_blob(const std::string& path) const {
  std::error_code error;
  for (const auto& [file, manifest] : manifests()) {
    if (fs::equivalent(blob_path(manifest.digest), path, error)) return manifest.name;
  }
  return std::nullopt;
}

std::optional<Manifest> ModelStore::read_manifest(const ModelName& name) const {
  const std::string path = root_ + "/manifests/" + name.manifest_path();
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return std::nullopt;
  return manifest_from_json(read_small_file(path), path);
}

void ModelStore::write_manifest(const ModelName& name, const Manifest& manifest) const {
  const fs::path path = root_ + "/manifests/" + name.manifest_path();
  fs::create_directories(path.parent_path());
  const std::string temporary = path.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << manifest_to_json(manifest);
    if (!out.flush()) throw Error(ErrorCode::internal, "cannot write " + temporary);
  }
  fs::rename(temporary, path);
}

bool ModelStore::remove(const std::string& name) const {
  const auto all = manifests();
  auto target = std::find_if(all.begin(), all.end(), [&](const auto& item) {
    return same_model_name(item.second.name, name);
  });
  if (target == all.end()) {
    throw Error(ErrorCode::invalid_request,
                "model '" + name + "' is not in the store " + root_ + " (see weft list)");
  }
  fs::remove(target->first);
  const bool shared = std::any_of(all.begin(), all.end(), [&](const auto& item) {
    return item.first != target->first && item.second.digest == target->second.digest;
  });
  if (shared) return false;
  std::error_code error;
  fs::remove(blob_path(target->second.digest), error);
  return !error;
}

}  // namespace weft::store
