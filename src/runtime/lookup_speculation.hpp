// Prompt-lookup speculation as a setting of scheduled generations (runtime/scheduler.hpp) and
// of the native backend (`weft serve --lookup`): each decode of a request also verifies the
// tokens a weft::NgramSpeculator drafts, in the same model call as the other streams' rows.
#pragma once

#include <cstdint>

namespace weft::runtime {

struct LookupSpeculation {
  // The n of the n-gram looked up (at least 2; the last n − 1 tokens, then shorter suffixes);
  // 0: no speculation.
  uint32_t ngram = 0;
  // The most drafted tokens verified with one decode (at least 1).
  uint32_t draft_tokens = 4;

  bool enabled() const { return ngram != 0; }
};

}  // namespace weft::runtime
