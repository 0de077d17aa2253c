#include "http/model_catalog.hpp"

#include "store/model_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>

namespace weft::http {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string rfc3339(std::time_t seconds) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

CatalogModel from_store(const store::StoreEntry& entry) {
  CatalogModel model;
  model.name = canonical_model_name(entry.name);
  model.path = entry.path;
  model.size = entry.size;
  model.modified_at = rfc3339(entry.modified);
  return model;
}

std::optional<CatalogModel> describe_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  CatalogModel model;
  model.name = fs::path(path).stem().string();
  model.path = path;
  model.size = static_cast<uint64_t>(info.st_size);
  model.modified_at = rfc3339(info.st_mtime);
  return model;
}

}  // namespace

std::string canonical_model_name(const std::string& name) {
  std::string out = name;
  if (ends_with(out, ":latest")) out.resize(out.size() - 7);
  if (ends_with(out, ".gguf")) out.resize(out.size() - 5);
  return out;
}

ModelCatalog::ModelCatalog(std::string served_model, std::string models_dir)
    : served_model_(std::move(served_model)), models_dir_(std::move(models_dir)) {}

std::optional<CatalogModel> ModelCatalog::describe_served() const {
  auto file = describe_file(served_model_);
  if (!file || models_dir_.empty()) return file;
  // A blob of the store is served under its store name, not "sha256-…".
  if (auto name = store::ModelStore(models_dir_).name_of_blob(served_model_)) {
    file->name = canonical_model_name(*name);
  }
  return file;
}

std::string ModelCatalog::served_name(const std::string& backend_model_name) const {
  if (auto file = describe_served()) return file->name;
  if (!served_model_.empty()) return served_model_;
  return backend_model_name;
}

std::vector<CatalogModel> ModelCatalog::list(const std::string& backend_model_name) const {
  std::vector<CatalogModel> models;
  if (auto file = describe_served()) {
    models.push_back(*file);
  } else {
    CatalogModel served;
    served.name = served_name(backend_model_name);
    served.modified_at = rfc3339(std::time(nullptr));
    models.push_back(served);
  }
  std::vector<CatalogModel> others;
  if (!models_dir_.empty()) {
    for (const auto& entry : store::ModelStore(models_dir_).list()) {
      auto model = from_store(entry);
      if (model.name != models.front().name) others.push_back(std::move(model));
    }
  }
  models.insert(models.end(), others.begin(), others.end());
  return models;
}

std::optional<CatalogModel> ModelCatalog::find(const std::string& requested,
                                               const std::string& backend_model_name) const {
  auto models = list(backend_model_name);
  if (requested.empty()) return models.front();
  const std::string wanted = canonical_model_name(requested);
  for (const auto& model : models) {
    if (model.name == wanted) return model;
  }
  return std::nullopt;
}

}  // namespace weft::http
