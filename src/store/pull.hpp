// `weft pull`: a name's manifest and GGUF blob from its source into the store.
#pragma once

#include <cstdio>
#include <string>

#include "store/model_name.hpp"
#include "store/model_store.hpp"

namespace weft::store {

struct PullResult {
  StoreEntry entry;
  bool downloaded = false;    // false: the blob was in the store already
  uint64_t resumed_from = 0;  // bytes of an interrupted download that were kept
};

// Asks the source for the model, checks the free space, downloads the blob unless the
// store has it (resuming a partial one), verifies it and writes the manifest. Progress and
// one line per step go to `progress` (null: silent). Throws weft::Error with a message for
// people on every failure; a failed download leaves no blob and no manifest.
// `registry_url`, when not empty, replaces the Ollama registry (weft pull --registry).
PullResult pull_model(const ModelStore& store, const ModelName& name, std::FILE* progress,
                      const std::string& registry_url = "");

// Throws weft::Error when the filesystem holding `directory` has fewer than `needed` bytes
// free for an unprivileged user.
void require_free_space(const std::string& directory, uint64_t needed);

}  // namespace weft::store
