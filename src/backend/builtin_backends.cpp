#include "backend/native_backend.hpp"
#include "backend/stub_backend.hpp"
#include "weft/registry.hpp"

namespace weft {

BackendRegistry BackendRegistry::with_builtin_backends() {
  BackendRegistry registry;
  registry.add("native", [] { return std::make_unique<backend::NativeBackend>(); });
  registry.add("stub", [] { return std::make_unique<backend::StubBackend>(); });
  return registry;
}

}  // namespace weft
