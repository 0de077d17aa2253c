#include "backend/native_backend.hpp"
#include "backend/ollama_backend.hpp"
#include "backend/openai_backend.hpp"
#include "backend/process_backend.hpp"
#include "backend/stub_backend.hpp"
#include "weft/registry.hpp"

namespace weft {

BackendRegistry BackendRegistry::with_builtin_backends() {
  BackendRegistry registry;
  registry.add("native", [] { return std::make_unique<backend::NativeBackend>(); });
  registry.add("stub", [] { return std::make_unique<backend::StubBackend>(); });
  registry.add("ollama", [] { return std::make_unique<backend::OllamaBackend>(); });
  registry.add("openai", [] { return std::make_unique<backend::OpenAiBackend>(); });
  registry.add("process", [] { return std::make_unique<backend::ProcessBackend>(); });
  return registry;
}

}  // namespace weft
