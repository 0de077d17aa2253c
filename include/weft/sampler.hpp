// A sampler for callers that run their own loop over Context (include/weft/context.hpp):
// weft's sampling chain (docs/sampling.md) over one row of logits, optionally under a
// constraint's TokenMask (include/weft/constraint.hpp).
//
// Threads: one Sampler belongs to one sequence and is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "weft/constraint.hpp"
#include "weft/export.hpp"
#include "weft/types.hpp"

namespace weft {

// Picks the next token from a row of logits (Context::logits()) with weft's sampling chain
// (docs/sampling.md) under GenerationOptions' temperature, top_k, top_p, min_p, penalties
// and seed (the other fields are not used). One Sampler per sequence: it keeps the tokens
// it has seen for the penalties, and its own seeded random stream.
class WEFT_EXPORT Sampler {
 public:
  explicit Sampler(const GenerationOptions& options = {});
  Sampler(Sampler&&) noexcept;
  Sampler& operator=(Sampler&&) noexcept;
  ~Sampler();

  // Throws weft::Error(invalid_request) when the mask allows no token or does not fit.
  int32_t sample(std::span<const float> logits);
  int32_t sample(std::span<const float> logits, const TokenMask& mask);
  // Feeds the repetition window and the frequency counts (the prompt, or a chosen token).
  void observe_prompt(std::span<const int32_t> tokens);
  void accept(int32_t token);
  uint64_t seed() const;  // the seed in use (drawn when the options left it unset)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft
