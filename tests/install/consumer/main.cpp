#include <cstdio>
#include <weft/registry.hpp>

int main() {
  auto registry = weft::BackendRegistry::with_builtin_backends();
  auto backend = registry.create("stub");
  weft::GenerationRequest request;
  request.messages.push_back({weft::Role::user, "hi"});
  request.options.max_tokens = 2;
  auto stream = backend->generate(request);
  auto result = weft::collect(stream);
  std::printf("%s:%s\n", backend->name().c_str(), result.text.c_str());
  return std::holds_alternative<weft::DoneEvent>(result.terminal) ? 0 : 1;
}
