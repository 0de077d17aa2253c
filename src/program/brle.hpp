// BRLE, the program protocol's compact form of a logit mask (docs/programs.md): run lengths
// over the vocabulary ids in order, alternating, the first run counting disallowed tokens.
// An attention mask is the same over a context's positions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "weft/constraint.hpp"

namespace weft::program {

// Throws weft::Error(invalid_request) for a negative run or runs past the vocabulary; ids
// after the last run are disallowed.
TokenMask mask_from_brle(const std::vector<int64_t>& runs, int64_t vocabulary_size);
// The attention mask of the token at `position` (Context::append_with_logits): position + 1
// flags, true where the runs allow. Throws weft::Error(invalid_request), naming `field`, for a
// negative run, runs past the `positions` the context has after the pass, a position after
// the token's own allowed (attention is causal), or no position allowed; positions after the
// last run are hidden.
std::vector<bool> attention_from_brle(const std::vector<int64_t>& runs, int64_t position,
                                      int64_t positions, const std::string& field);
// The shortest runs that give `mask` back (no trailing disallowed run).
std::vector<int64_t> brle_from_mask(const TokenMask& mask);

}  // namespace weft::program
