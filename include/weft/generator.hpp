// Step-wise generation over a Context (include/weft/context.hpp) for callers that run their
// own loop: each step() samples one token with weft's sampling chain (weft/sampler.hpp),
// under the constraints if any (weft/constraint.hpp), and appends it; accept() takes tokens
// chosen elsewhere (a verified draft, a forced answer) under the same stop rules.
//
//   auto runtime = weft::ContextRuntime::open({.model_path = "model.gguf"});
//   weft::Context context = runtime->create();
//   context.append_text("Once upon a time");
//   weft::Generator generator(*runtime, context, {.sampling = {.max_tokens = 32,
//                                                               .temperature = 0.0f}});
//   while (auto token = generator.step()) { ... }
//   std::string text = runtime->decode(generator.tokens());
//
// Stops: a stop token (not appended, not in tokens()), max_tokens, or the context length.
// Threads: a Generator and its Context are used by one thread at a time. Errors: step() and
// accept() throw weft::Error as Context::append and Sampler::sample do; the context keeps
// what was appended before.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "weft/constraint.hpp"
#include "weft/context.hpp"
#include "weft/sampler.hpp"
#include "weft/types.hpp"

namespace weft {

struct GeneratorOptions {
  // temperature, top_k, top_p, min_p, penalties, seed and max_tokens (the other fields are
  // not used: stop strings and grammars belong to backends' generations).
  GenerationOptions sampling = {};
  // Stop at these tokens besides (with model_stop_tokens) the model's own.
  std::vector<int32_t> stop_tokens = {};
  bool model_stop_tokens = true;
};

enum class GeneratorStop { none, stop_token, max_tokens, context_length, constraint };

class Generator {
 public:
  // `context` (and `constraints`, when given) must outlive the generator. The context must
  // hold at least one token (its logits are where the first token is sampled from).
  Generator(ContextRuntime& runtime, Context& context, GeneratorOptions options = {},
            ConstraintSet* constraints = nullptr);

  // Samples, appends and returns the next token; nullopt once the generation has ended.
  std::optional<int32_t> step();
  // Takes `tokens` as if sampled, in order, until one ends the generation; returns how many
  // were appended. With constraints, a token they refuse ends the generation (constraint).
  size_t accept(std::span<const int32_t> tokens);

  bool done() const { return stop_ != GeneratorStop::none; }
  GeneratorStop stop_reason() const { return stop_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  // Appends `token` unless it ends the generation; false when it did.
  bool take(int32_t token);

  Context& context_;
  ConstraintSet* constraints_;
  Sampler sampler_;
  std::vector<int32_t> stops_;  // sorted
  uint32_t max_tokens_;
  int64_t context_length_;
  std::vector<int32_t> tokens_;
  GeneratorStop stop_ = GeneratorStop::none;
};

}  // namespace weft
