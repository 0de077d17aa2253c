// Named backends and the auto-selection rule of DESIGN §3.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "weft/backend.hpp"
#include "weft/export.hpp"

namespace weft {

using BackendFactory = std::function<std::unique_ptr<Backend>()>;

class WEFT_EXPORT BackendRegistry {
 public:
  // A registry holding every backend built into libweft.
  static BackendRegistry with_builtin_backends();

  void add(std::string name, BackendFactory factory);
  bool contains(const std::string& name) const;
  std::vector<std::string> names() const;
  // Creates a fresh instance; throws weft::Error naming the known backends if unknown.
  std::unique_ptr<Backend> create(const std::string& name) const;

 private:
  std::map<std::string, BackendFactory> factories_;
};

// The inputs of auto-selection; `from_environment` reads WEFT_BACKEND, WEFT_ENGINE_BIN and
// OLLAMA_HOST so that the rule itself stays testable without touching the environment.
struct WEFT_EXPORT SelectionInputs {
  std::string explicit_choice;             // --backend
  std::string env_backend;                 // WEFT_BACKEND
  std::string env_engine_bin;              // WEFT_ENGINE_BIN
  std::string model_path;                  // a model file given by the user
  std::function<bool()> ollama_reachable;  // GET $OLLAMA_HOST/api/tags within 500 ms

  static SelectionInputs from_environment(std::string explicit_choice, std::string model_path);
};

struct WEFT_EXPORT Selection {
  std::string backend;
  std::string rule;  // which rule chose it, for `weft backends` and logs
};

// explicit → WEFT_BACKEND → WEFT_ENGINE_BIN (process) → native (model file given) →
// reachable Ollama → stub. An explicit choice (or WEFT_BACKEND) that is unknown or
// unavailable throws weft::Error listing the available backends; it never falls back.
WEFT_EXPORT Selection select_backend(const BackendRegistry& registry,
                                     const SelectionInputs& inputs);

}  // namespace weft
