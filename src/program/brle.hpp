// BRLE, the program protocol's compact form of a logit mask (docs/programs.md): run lengths
// over the vocabulary ids in order, alternating, the first run counting disallowed tokens.
#pragma once

#include <cstdint>
#include <vector>

#include "weft/constraint.hpp"

namespace weft::program {

// Throws weft::Error(invalid_request) for a negative run or runs past the vocabulary; ids
// after the last run are disallowed.
TokenMask mask_from_brle(const std::vector<int64_t>& runs, int64_t vocabulary_size);
// The shortest runs that give `mask` back (no trailing disallowed run).
std::vector<int64_t> brle_from_mask(const TokenMask& mask);

}  // namespace weft::program
