// Which backend `weft run`, `weft chat` and `weft backends` use, and which model it loads.
//
// The registry's rule (include/weft/registry.hpp) is applied as it is, and a model file counts
// as given only when the user gives one. On top of it the CLI runs the bundled model
// (stories260K) on the native backend in two cases: native was chosen (--backend or
// WEFT_BACKEND) without a model, or the rule fell through to its last step, `stub` (nothing
// chosen, no model, no reachable Ollama). `stub` stays available when chosen explicitly.
#pragma once

#include <string>

#include "weft/registry.hpp"
#include "weft/types.hpp"

namespace weft::cli {

struct LocalBackendChoice {
  Selection selection;
  std::string model;                // the user's model, the bundled file, or "" (none)
  bool uses_bundled_model = false;  // `model` is the bundled file
  std::string reference;            // the model as the user named it (a path or a store name)
};

// `backend_choice` is --backend and `model` is --model ("" when not given): for the native
// backend a path, a store name or a name to pull (store::resolve_model_path); WEFT_BACKEND,
// WEFT_ENGINE_BIN and OLLAMA_HOST are read from the environment. Throws weft::Error like
// select_backend.
LocalBackendChoice choose_local_backend(const BackendRegistry& registry,
                                        const std::string& backend_choice,
                                        const std::string& model);

// `options` with the chosen model; for the bundled model, its context length (512) unless
// the user set one.
LoadOptions load_options_for(const LocalBackendChoice& choice, LoadOptions options);

}  // namespace weft::cli
