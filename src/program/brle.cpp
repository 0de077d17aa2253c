#include "program/brle.hpp"

#include <string>

#include "weft/error.hpp"

namespace weft::program {

TokenMask mask_from_brle(const std::vector<int64_t>& runs, int64_t vocabulary_size) {
  TokenMask mask(vocabulary_size, false);
  int64_t id = 0;
  bool allowed = false;
  for (size_t i = 0; i < runs.size(); ++i, allowed = !allowed) {
    const int64_t run = runs[i];
    if (run < 0 || run > vocabulary_size - id) {
      throw Error("mask: run " + std::to_string(i) + " (" + std::to_string(run) +
                  ") goes past the vocabulary of " + std::to_string(vocabulary_size) + " tokens");
    }
    if (allowed) {
      for (int64_t end = id + run; id < end; ++id) mask.set(static_cast<int32_t>(id), true);
    } else {
      id += run;
    }
  }
  return mask;
}

std::vector<int64_t> brle_from_mask(const TokenMask& mask) {
  std::vector<int64_t> runs;
  bool allowed = false;
  int64_t run = 0;
  for (int64_t id = 0; id < mask.vocabulary_size(); ++id) {
    if (mask.allows(static_cast<int32_t>(id)) != allowed) {
      runs.push_back(run);
      allowed = !allowed;
      run = 0;
    }
    ++run;
  }
  if (allowed) runs.push_back(run);
  return runs;
}

}  // namespace weft::program
