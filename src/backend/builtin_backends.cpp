#include "backend/ollama_backend.hpp"
#include "backend/openai_backend.hpp"
#include "backend/stub_backend.hpp"
#include "weft/registry.hpp"

namespace weft {

BackendRegistry BackendRegistry::with_builtin_backends() {
  BackendRegistry registry;
  registry.add("stub", [] { return std::make_unique<backend::StubBackend>(); });
  registry.add("ollama", [] { return std::make_unique<backend::OllamaBackend>(); });
  registry.add("openai", [] { return std::make_unique<backend::OpenAiBackend>(); });
  return registry;
}

}  // namespace weft
