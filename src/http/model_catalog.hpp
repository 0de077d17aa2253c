// The models the HTTP APIs name: the one being served (under its file name, without
// ".gguf", or its store name) and the models of the store in the models directory (pulled
// names and plain GGUF files, docs/models.md). Ollama clients add ":latest" to a
// bare name, so "x" and "x:latest" (and "x.gguf") name the same model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weft::http {

struct CatalogModel {
  std::string name;  // as listed: the file stem, or the backend's model name
  std::string path;  // the GGUF file; "" for a backend without one (stub, remote)
  uint64_t size = 0;
  std::string modified_at;  // RFC 3339
};

// "x:latest" → "x", "x.gguf" → "x".
std::string canonical_model_name(const std::string& name);

class ModelCatalog {
 public:
  ModelCatalog(std::string served_model, std::string models_dir);

  // The served model's name: a GGUF file's stem, else the configured model name, else
  // `backend_model_name` (the stub's "stub").
  std::string served_name(const std::string& backend_model_name) const;
  // The served model first, then the store's other models (pulled names, then plain files).
  std::vector<CatalogModel> list(const std::string& backend_model_name) const;
  // nullopt when no listed model has this name ("" means the served one).
  std::optional<CatalogModel> find(const std::string& requested,
                                   const std::string& backend_model_name) const;

 private:
  std::optional<CatalogModel> describe_served() const;

  std::string served_model_;
  std::string models_dir_;
};

}  // namespace weft::http
