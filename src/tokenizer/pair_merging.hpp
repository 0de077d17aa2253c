// The merge loop both BPE flavours share: the text starts as a linked list of symbols, and
// the best-ranked pair of adjacent symbols is merged, again and again, until no adjacent
// pair may merge. Byte-level BPE ranks pairs by merge order, SentencePiece by piece score;
// both break ties towards the leftmost pair. Candidates wait in a binary heap; one whose
// sides changed after it was queued is dropped when it comes up.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {

struct MergeSymbol {
  int prev = -1;
  int next = -1;
  TokenId id = -1;  // -1: the character is not in the vocabulary
  uint32_t start = 0;
  uint32_t length = 0;  // 0 once merged into its left neighbour
};

// What two adjacent symbols may become. Higher priority merges first. Priority is the
// encoder's own type (an integer rank, a float score) so that candidates stay small.
template <typename Priority>
struct PairMerge {
  Priority priority;
  TokenId result;
};

template <typename Priority>
struct MergeCandidate {
  Priority priority;
  int left;
  int right;
  TokenId result;
  uint32_t length;  // the pair's combined length when queued
};

// Appends a symbol after the last one, linked to it.
inline void append_symbol(std::vector<MergeSymbol>& symbols, TokenId id, uint32_t start,
                          uint32_t length) {
  const int index = static_cast<int>(symbols.size());
  symbols.push_back({index - 1, -1, id, start, length});
  if (index > 0) symbols[index - 1].next = index;
}

// Merges `symbols` until no adjacent pair may merge. `find_merge(left, right)` returns the
// pair's PairMerge, or nullopt when the two may not merge. `heap` is scratch space.
template <typename Priority, typename FindMerge>
void merge_adjacent_pairs(std::vector<MergeSymbol>& symbols,
                          std::vector<MergeCandidate<Priority>>& heap,
                          const FindMerge& find_merge) {
  // The top of the heap is the highest priority, then the leftmost pair.
  const auto order = [](const MergeCandidate<Priority>& a, const MergeCandidate<Priority>& b) {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.left > b.left;
  };
  heap.clear();
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const std::optional<PairMerge<Priority>> merge = find_merge(symbols[left], symbols[right]);
    if (!merge) return;
    heap.push_back({merge->priority, left, right, merge->result,
                    symbols[left].length + symbols[right].length});
    std::push_heap(heap.begin(), heap.end(), order);
  };
  for (size_t i = 1; i < symbols.size(); ++i)
    consider(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), order);
    const MergeCandidate<Priority> best = heap.back();
    heap.pop_back();
    MergeSymbol& left = symbols[best.left];
    MergeSymbol& right = symbols[best.right];
    // A symbol only ever absorbs its right neighbour, and lengths only grow: while both are
    // alive and still adjacent, an unchanged combined length means neither side changed.
    if (left.length == 0 || right.length == 0 || left.next != best.right ||
        left.length + right.length != best.length) {
      continue;
    }
    left.id = best.result;
    left.length += right.length;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = best.left;
    right.length = 0;
    consider(left.prev, best.left);
    consider(best.left, left.next);
  }
}

// Calls `visit(symbol)` for each symbol left after merging, in text order.
template <typename Visit>
void for_each_merged_symbol(const std::vector<MergeSymbol>& symbols, const Visit& visit) {
  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) visit(symbols[i]);
}

}  // namespace weft::tokenizer
