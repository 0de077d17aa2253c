#include "program/brle.hpp"

#include <algorithm>
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

std::vector<bool> attention_from_brle(const std::vector<int64_t>& runs, int64_t position,
                                      int64_t positions, const std::string& field) {
  std::vector<bool> visible(static_cast<size_t>(position + 1), false);
  int64_t at = 0;
  bool allowed = false;
  bool any = false;
  for (size_t i = 0; i < runs.size(); ++i, allowed = !allowed) {
    const int64_t run = runs[i];
    if (run < 0 || run > positions - at) {
      throw Error(field + ": run " + std::to_string(i) + " (" + std::to_string(run) +
                  ") goes past the " + std::to_string(positions) +
                  " positions the context has after this pass");
    }
    if (allowed && run > 0) {
      if (at + run - 1 > position) {
        throw Error(field + " allows position " + std::to_string(at + run - 1) +
                    ", after the token's own position " + std::to_string(position) +
                    " (a token attends only to itself and earlier positions)");
      }
      std::fill_n(visible.begin() + at, run, true);
      any = true;
    }
    at += run;
  }
  if (!any) throw Error(field + " allows no position (a token must attend to at least one)");
  return visible;
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
