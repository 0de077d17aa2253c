// The settings of the registry's native backend that the command line chooses when a backend
// is created: the KV cache type (`--kv-type` of run and chat, serve's `kv_type`) and, for
// `weft serve --lookup` / `--draft MODEL`, speculation on every generation it serves.
#pragma once

#include <string>

#include "runtime/lookup_speculation.hpp"
#include "weft/registry.hpp"

namespace weft::backend {

// Makes `registry`'s native backend build its KV cache of type `kv_type` ("f16", "f32" or
// "q8_0"; throws weft::Error for another name) and speculate as `speculation` says, with drafts
// from the GGUF file `draft_model` when it is not empty (speculation.ngram must then be 0).
// The other backends keep their own settings.
void use_native_settings(BackendRegistry& registry, const std::string& kv_type,
                         runtime::LookupSpeculation speculation = {},
                         const std::string& draft_model = "");

}  // namespace weft::backend
