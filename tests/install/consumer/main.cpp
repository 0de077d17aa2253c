#include <cstdio>
#include <string>
#include <vector>
#include <weft/chat_decoders.hpp>
#include <weft/constraint.hpp>
#include <weft/context.hpp>
#include <weft/generator.hpp>
#include <weft/probes.hpp>
#include <weft/registry.hpp>
#include <weft/sampler.hpp>
#include <weft/speculator.hpp>

// A generation through the stub backend, a masked greedy step with the public sampler, and
// (given the installed model's path) greedy steps of the public Generator over a Context
// checked against the probes' most likely token, then again with the n-gram speculator and
// the chat decoder: the installed headers and library are
// enough for all of them.
int main(int argc, char** argv) {
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

  int generated = 0;
  bool greedy_matches_probe = true;
  bool same_with_drafts = argc <= 1;
  if (argc > 1) {
    auto runtime = weft::ContextRuntime::open({.model_path = argv[1], .threads = 1});
    auto context = runtime->create();
    context.append_text("Once upon a time");
    weft::GeneratorOptions options;
    options.sampling.temperature = 0.0f;
    options.sampling.max_tokens = 8;
    options.model_stop_tokens = false;
    weft::Generator generator(*runtime, context, options);
    while (true) {
      const auto top = weft::probes::top_logprobs(context.logits(), 1);
      const auto next = generator.step();
      if (!next) break;
      greedy_matches_probe = greedy_matches_probe && *next == top.front().token;
      ++generated;
    }
    // The same tokens with the n-gram drafter, read through the chat decoder.
    auto again = runtime->create();
    again.append_text("Once upon a time");
    weft::NgramSpeculator drafts;
    options.speculator = &drafts;
    weft::Generator speculative(*runtime, again, options);
    weft::ChatDecoder chat(*runtime);
    while (auto next = speculative.step()) chat.feed({&*next, 1});
    same_with_drafts = speculative.tokens() == generator.tokens() && !chat.text().empty();
  }
  std::printf("%s:%s masked-argmax=%d generated=%d\n", backend->name().c_str(), result.text.c_str(),
              token, generated);
  return std::holds_alternative<weft::DoneEvent>(result.terminal) && token == 2 &&
                 greedy_matches_probe && same_with_drafts
             ? 0
             : 1;
}
