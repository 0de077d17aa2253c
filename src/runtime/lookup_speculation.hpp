// Speculation as a setting of scheduled generations (runtime/scheduler.hpp) and of the native
// backend (`weft serve --lookup`, `weft serve --draft MODEL`): each decode of a request also
// verifies drafted tokens in the same model call as the other streams' rows. The drafts come
// from a weft::NgramSpeculator (prompt lookup) or from the scheduler's draft model, whose
// passes are batched over every stream that drafts (Scheduler's draft engine).
#pragma once

#include <cstdint>

namespace weft::runtime {

struct LookupSpeculation {
  // The n of the n-gram looked up (at least 2; the last n − 1 tokens, then shorter suffixes);
  // 0: no prompt lookup.
  uint32_t ngram = 0;
  // The most drafted tokens verified with one decode (at least 1).
  uint32_t draft_tokens = 4;
  // Drafts from the scheduler's draft model instead of prompt lookup (ngram must be 0).
  bool draft_model = false;

  bool enabled() const { return ngram != 0 || draft_model; }
};

}  // namespace weft::runtime
