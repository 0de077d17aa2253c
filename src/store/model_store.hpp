// The local model store (docs/models.md#the-store): content-addressed blobs
// (ROOT/blobs/sha256-HEX) and one JSON manifest per name
// (ROOT/manifests/HOST/SPACE/REPOSITORY/TAG), beside plain *.gguf files dropped into ROOT,
// which are listed and used under their file name without ".gguf".
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "store/model_name.hpp"

namespace weft::store {

// What a manifest records: the model blob and where it came from.
struct Manifest {
  std::string name;    // ModelName::display()
  std::string source;  // "huggingface" or "ollama"
  std::string url;     // what the blob was downloaded from
  std::string file;    // Hugging Face: the repository's file name; else ""
  std::string digest;  // "sha256:HEX"
  uint64_t size = 0;
  std::string extra_json;  // Ollama: the other layers' media types and digests (not fetched)
};

struct StoreEntry {
  std::string name;  // display name, or a plain file's stem
  std::string path;  // the GGUF file to open
  uint64_t size = 0;
  std::time_t modified = 0;
  std::string digest;  // "sha256:HEX"; "" for a plain file
  bool plain_file = false;
};

class ModelStore {
 public:
  explicit ModelStore(std::string root);

  // WEFT_MODELS, else WEFT_MODELS_DIR, else $XDG_DATA_HOME/weft/models, else
  // ~/.local/share/weft/models. Throws weft::Error when none can be formed (no HOME).
  static std::string default_root();

  const std::string& root() const { return root_; }
  // ROOT/blobs/sha256-HEX; `digest` is "sha256:HEX" or "sha256-HEX".
  std::string blob_path(const std::string& digest) const;
  std::string blobs_dir() const { return root_ + "/blobs"; }

  // Store names (manifests) first, by name, then plain GGUF files.
  std::vector<StoreEntry> list() const;
  // A manifest's name ("x" = "x:latest") or a plain file's stem ("x" or "x.gguf").
  std::optional<StoreEntry> find(const std::string& name) const;
  // The store name whose blob is at `path`, for showing a blob under its name.
  std::optional<std::string> name_of_blob(const std::string& path) const;

  std::optional<Manifest> read_manifest(const ModelName& name) const;
  // Atomic: written beside and renamed into place.
  void write_manifest(const ModelName& name, const Manifest& manifest) const;
  // Removes the manifest, and the blob when no other manifest names it. Returns whether the
  // blob went too. Throws weft::Error(invalid_request) when no manifest has this name.
  bool remove(const std::string& name) const;

 private:
  std::vector<std::pair<std::string, Manifest>> manifests() const;  // (file path, manifest)
  std::string root_;
};

}  // namespace weft::store
