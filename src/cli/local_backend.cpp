#include "cli/local_backend.hpp"

#include "cli/commands.hpp"
#include "store/model_resolver.hpp"

namespace weft::cli {

LocalBackendChoice choose_local_backend(const BackendRegistry& registry,
                                        const std::string& backend_choice,
                                        const std::string& model) {
  const auto inputs = SelectionInputs::from_environment(backend_choice, model);
  LocalBackendChoice choice{select_backend(registry, inputs), model, false, model};
  if (!model.empty()) {
    // Only the native backend opens a file; remote backends take the name as it is.
    if (choice.selection.backend == "native") choice.model = store::resolve_model_path(model);
    return choice;
  }
  const std::string bundled = default_model_path();
  if (bundled.empty()) return choice;
  if (choice.selection.backend == "native") {
    choice.model = bundled;
    choice.uses_bundled_model = true;
    choice.selection.rule += "; no model given: the bundled model";
    return choice;
  }
  // The registry's last step picks stub; only an explicit choice or WEFT_BACKEND can also
  // name stub (WEFT_ENGINE_BIN leads to `process`, a model file to `native`).
  const bool fell_through = choice.selection.backend == "stub" && inputs.explicit_choice.empty() &&
                            inputs.env_backend.empty();
  if (fell_through && registry.contains("native") &&
      registry.create("native")->available().available) {
    choice.selection = {"native", "no model given and no Ollama answered: the bundled model"};
    choice.model = bundled;
    choice.uses_bundled_model = true;
  }
  return choice;
}

LoadOptions load_options_for(const LocalBackendChoice& choice, LoadOptions options) {
  options.model_path = choice.model;
  // stories260K stores a context length of 128 but was trained with 512.
  if (choice.uses_bundled_model && !options.context_length)
    options.context_length = kDefaultModelContext;
  return options;
}

}  // namespace weft::cli
