#include "weft/registry.hpp"

#include <cstdlib>

#include "backend/http_probe.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// Names of the backends that say they can serve now, for error messages.
std::string available_names(const BackendRegistry& registry) {
  std::vector<std::string> available;
  for (const auto& name : registry.names()) {
    if (registry.create(name)->available().available) available.push_back(name);
  }
  return join_names(available);
}

Selection require_available(const BackendRegistry& registry, const std::string& name,
                            const std::string& rule) {
  if (!registry.contains(name)) {
    throw Error(ErrorCode::invalid_request,
                "unknown backend '" + name + "' (" + rule +
                    "); available backends: " + available_names(registry));
  }
  auto availability = registry.create(name)->available();
  if (!availability.available) {
    throw Error(ErrorCode::backend_unavailable,
                "backend '" + name + "' (" + rule + ") is not available: " + availability.reason +
                    "; available backends: " + available_names(registry));
  }
  return {name, rule};
}

}  // namespace

void BackendRegistry::add(std::string name, BackendFactory factory) {
  factories_[std::move(name)] = std::move(factory);
}

bool BackendRegistry::contains(const std::string& name) const {
  return factories_.count(name) != 0;
}

std::vector<std::string> BackendRegistry::names() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories_) names.push_back(name);
  return names;
}

std::unique_ptr<Backend> BackendRegistry::create(const std::string& name) const {
  auto found = factories_.find(name);
  if (found == factories_.end()) {
    throw Error(ErrorCode::invalid_request,
                "unknown backend '" + name + "'; known backends: " + join_names(names()));
  }
  return found->second();
}

SelectionInputs SelectionInputs::from_environment(std::string explicit_choice,
                                                  std::string model_path) {
  SelectionInputs inputs;
  inputs.explicit_choice = std::move(explicit_choice);
  inputs.env_backend = env_or_empty("WEFT_BACKEND");
  inputs.env_engine_bin = env_or_empty("WEFT_ENGINE_BIN");
  inputs.model_path = std::move(model_path);
  inputs.ollama_reachable = [] {
    return backend::http_get_succeeds(backend::ollama_base_url() + "/api/tags",
                                      std::chrono::milliseconds(500));
  };
  return inputs;
}

Selection select_backend(const BackendRegistry& registry, const SelectionInputs& inputs) {
  if (!inputs.explicit_choice.empty()) {
    return require_available(registry, inputs.explicit_choice, "chosen explicitly");
  }
  if (!inputs.env_backend.empty()) {
    return require_available(registry, inputs.env_backend, "WEFT_BACKEND");
  }
  if (!inputs.env_engine_bin.empty()) {
    return require_available(registry, "process", "WEFT_ENGINE_BIN is set");
  }
  if (!inputs.model_path.empty()) {
    return require_available(registry, "native", "a model file was given");
  }
  if (registry.contains("ollama") && inputs.ollama_reachable && inputs.ollama_reachable()) {
    return {"ollama", "Ollama answered at OLLAMA_HOST"};
  }
  return {"stub", "nothing else was available"};
}

}  // namespace weft
