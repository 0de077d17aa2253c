#include <cstdio>
#include <vector>
#include <weft/constraint.hpp>
#include <weft/registry.hpp>
#include <weft/sampler.hpp>

// A generation through the stub backend, and a masked greedy step with the public sampler:
// the installed headers and library are enough for both.
int main() {
  auto registry = weft::BackendRegistry::with_builtin_backends();
  auto backend = registry.create("stub");
  weft::GenerationRequest request;
  request.messages.push_back({weft::Role::user, "hi"});
  request.options.max_tokens = 2;
  auto stream = backend->generate(request);
  auto result = weft::collect(stream);

  weft::TokenMask mask(4, false);
  mask.set(2, true);
  weft::GenerationOptions greedy;
  greedy.temperature = 0.0f;
  weft::Sampler sampler(greedy);
  const std::vector<float> logits = {1.0f, 5.0f, 3.0f, 9.0f};
  const int32_t token = sampler.sample(logits, mask);

  std::printf("%s:%s masked-argmax=%d\n", backend->name().c_str(), result.text.c_str(), token);
  return std::holds_alternative<weft::DoneEvent>(result.terminal) && token == 2 ? 0 : 1;
}
