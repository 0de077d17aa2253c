// Step-wise generation over a Context (include/weft/context.hpp) for callers that run their
// own loop: each step() samples one token with weft's sampling chain (weft/sampler.hpp),
// under the constraints if any (weft/constraint.hpp), and appends it; accept() takes tokens
// chosen elsewhere (a verified draft, a forced answer) under the same stop rules. With a
// speculator (weft/speculator.hpp), advance() verifies drafts in the pass that appends the
// next token and returns every token that pass settled.
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
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "weft/constraint.hpp"
#include "weft/context.hpp"
#include "weft/export.hpp"
#include "weft/sampler.hpp"
#include "weft/speculator.hpp"
#include "weft/types.hpp"

namespace weft {

struct WEFT_EXPORT GeneratorOptions {
  // temperature, top_k, top_p, min_p, penalties, seed and max_tokens (the other fields are
  // not used: stop strings and grammars belong to backends' generations).
  GenerationOptions sampling = {};
  // Stop at these tokens besides (with model_stop_tokens) the model's own.
  std::vector<int32_t> stop_tokens = {};
  bool model_stop_tokens = true;
  // Drafts to verify with each pass (must outlive the generator; reset when it starts). The
  // tokens produced are the same as without it; only the number of model passes changes.
  Speculator* speculator = nullptr;
};

// What speculation did: drafted tokens proposed and kept, and the model passes run.
struct WEFT_EXPORT SpeculationStats {
  size_t drafted = 0;
  size_t accepted = 0;
  size_t passes = 0;
};

enum class GeneratorStop { none, stop_token, max_tokens, context_length, constraint };

class WEFT_EXPORT Generator {
 public:
  // `context` (and `constraints`, when given) must outlive the generator. The context must
  // hold at least one token (its logits are where the first token is sampled from).
  Generator(ContextRuntime& runtime, Context& context, GeneratorOptions options = {},
            ConstraintSet* constraints = nullptr);

  // Samples, appends and returns the next token; nullopt once the generation has ended.
  // With a speculator, a pass that settled several tokens returns them one per call.
  std::optional<int32_t> step();
  // The tokens of one model pass (without a speculator, one token); empty once the
  // generation has ended.
  std::vector<int32_t> advance();
  // Takes `tokens` as if sampled, in order, until one ends the generation; returns how many
  // were appended. With constraints, a token they refuse ends the generation (constraint).
  size_t accept(std::span<const int32_t> tokens);

  bool done() const { return stop_ != GeneratorStop::none; }
  GeneratorStop stop_reason() const { return stop_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  const SpeculationStats& speculation() const { return speculation_; }

 private:
  int32_t sample(std::span<const float> logits);
  // Feeds `token` to the constraints, the sampler's history and the stop rules; false (and
  // stop_ set) when it ends the generation instead of continuing it.
  bool admit(int32_t token);
  // Records an appended token; the context then holds `length` tokens.
  void record(int32_t token, int64_t length);
  // Appends `token` unless it ends the generation; false when it did.
  bool take(int32_t token);
  std::vector<int32_t> verify(int32_t first, std::vector<int32_t> drafts);
  std::vector<int32_t> draft_after(int32_t first);

  Context& context_;
  ConstraintSet* constraints_;
  Sampler sampler_;
  std::vector<int32_t> stops_;  // sorted
  uint32_t max_tokens_;
  int64_t context_length_;
  std::vector<int32_t> tokens_;
  GeneratorStop stop_ = GeneratorStop::none;
  Speculator* speculator_;
  int64_t vocabulary_size_;
  // Sampled at a verified pass's last kept row, where a draft was refused: the next pass
  // starts with it (sampling there again would draw the sampler's random numbers twice).
  std::optional<int32_t> next_;
  std::deque<int32_t> unread_;  // settled by advance() for step() to return
  SpeculationStats speculation_;
};

}  // namespace weft
