// Fitting a speculator's drafts to the pass that verifies them, the same for both generators
// that speculate (weft::Generator over a Context, runtime::Generator under the scheduler).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weft::runtime {

// Cuts `drafts` to at most `room` tokens (none when room ≤ 0): drafts past max_tokens or the
// context could never be kept. Returns the first remaining id outside [0, vocabulary), which
// the caller must refuse.
std::optional<int32_t> fit_drafts(std::vector<int32_t>& drafts, int64_t room, int64_t vocabulary);

// The error message for such an id.
std::string draft_outside_vocabulary(int32_t id, int64_t vocabulary);

}  // namespace weft::runtime
