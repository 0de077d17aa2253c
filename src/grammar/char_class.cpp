#include <algorithm>

#include "grammar/grammar_rules.hpp"

namespace weft::grammar {

CharClass::CharClass(std::vector<std::pair<char32_t, char32_t>> ranges, bool negated)
    : ranges_(std::move(ranges)), negated_(negated) {
  for (char32_t c = 0; c < 128; ++c) {
    if (contains_slow(c)) ascii_[c >> 6] |= uint64_t{1} << (c & 63);
  }
}

bool CharClass::contains_slow(char32_t code_point) const {
  bool in_ranges = std::any_of(ranges_.begin(), ranges_.end(), [&](const auto& range) {
    return range.first <= code_point && code_point <= range.second;
  });
  return in_ranges != negated_;
}

bool CharClass::intersects(char32_t low, char32_t high) const {
  if (!negated_) {
    return std::any_of(ranges_.begin(), ranges_.end(), [&](const auto& range) {
      return range.first <= high && low <= range.second;
    });
  }
  // Negated: some code point of [low, high] escapes every excluded range. Walk the excluded
  // ranges in order, moving `low` past each one that covers it.
  auto sorted = ranges_;
  std::sort(sorted.begin(), sorted.end());
  char32_t next = low;
  for (const auto& [first, last] : sorted) {
    if (first > next) break;
    if (last >= next) {
      if (last >= high) return false;
      next = last + 1;
    }
  }
  return next <= high;
}

}  // namespace weft::grammar
