// The names `weft pull` and every model argument understand (docs/models.md#names):
//   hf.co/ORG/REPO[:QUANT]   a Hugging Face repository's GGUF file chosen by its quant tag
//   ORG/REPO/FILE.gguf       one named file of a Hugging Face repository
//   NAME[:TAG], NS/NAME[:TAG], HOST/NS/NAME[:TAG]   an Ollama registry's model
// and where each one's manifest lives in the store.
#pragma once

#include <optional>
#include <string>

namespace weft::store {

enum class ModelSource { hugging_face, ollama_registry };

inline constexpr const char* kHuggingFaceHost = "hf.co";
inline constexpr const char* kOllamaHost = "registry.ollama.ai";
inline constexpr const char* kOllamaNamespace = "library";
inline constexpr const char* kDefaultTag = "latest";

struct ModelName {
  ModelSource source = ModelSource::ollama_registry;
  std::string host;        // "hf.co", "registry.ollama.ai" or the registry named
  std::string space;       // Hugging Face organisation or Ollama namespace
  std::string repository;  // Hugging Face repository or Ollama model
  std::string tag;         // quant tag or Ollama tag ("latest" when none was given)
  std::string file;        // Hugging Face: the file named by ORG/REPO/FILE.gguf, else ""

  // As people write it: "hf.co/org/repo:Q4_K_M", "org/repo/file.gguf", "llama3.2:latest",
  // "ns/name:tag", "host/ns/name:tag".
  std::string display() const;
  // Relative to the store's manifests/ folder: host/space/repository/(tag or file).
  std::string manifest_path() const;
};

// nullopt when `text` cannot be a model name (a path such as "./x.gguf", "/m/x.gguf", a
// component with characters a name may not have). Never throws.
std::optional<ModelName> parse_model_name(const std::string& text);

// "x", "x:latest" name the same model; so do "hf.co/…" and "huggingface.co/…".
bool same_model_name(const std::string& a, const std::string& b);

}  // namespace weft::store
