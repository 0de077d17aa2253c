// The one place a model argument becomes a GGUF file: every command that takes a model
// (`run`, `chat`, `serve`, `bench`, `inspect`, `eval`, `engine`, …) passes it here. An
// existing file is used as it is; a store name (or a plain GGUF in the store's directory)
// becomes its file; a Hugging Face or registry name not in the store is pulled first, as
// `ollama run` does.
#pragma once

#include <cstdio>
#include <string>

namespace weft::store {

struct ResolveOptions {
  std::string store_root;        // "" = ModelStore::default_root()
  std::FILE* progress = stderr;  // pull progress (null: silent)
  bool pull = true;              // false: a name not in the store is an error
};

// "" stays "". Throws weft::Error naming where it looked when the reference is none of the
// above, and the pull's errors.
std::string resolve_model_path(const std::string& reference, const ResolveOptions& options = {});

// The name to show for a model file: its store name when it is a blob of the store, else
// the file's stem. Never throws.
std::string display_name_of(const std::string& path, const std::string& store_root = "");

}  // namespace weft::store
