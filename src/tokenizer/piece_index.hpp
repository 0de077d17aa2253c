// piece → token id over the vocabulary's own strings: one flat open-addressing table of ids,
// sized once. A model's load builds it from 100k+ pieces and the SentencePiece-style encoder
// then looks up every prefix and suffix of every piece; a node-based std::unordered_map of
// string copies made that ~0.5 s of a cold start (docs/performance.md#cold-start).
// The table holds ids, not pointers, so it stays valid when the vocabulary is moved.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {

class PieceIndex {
 public:
  // Indexes `pieces` (id = position); when a piece repeats, its first id is found.
  void build(std::span<const std::string> pieces);

  // The id of `piece` in the `pieces` the index was built from.
  std::optional<TokenId> find(std::string_view piece, std::span<const std::string> pieces) const;

 private:
  struct Slot {
    uint32_t tag = 0;  // the hash's high 32 bits: most mismatches skip the string compare
    TokenId id = -1;   // -1: empty
  };
  static uint64_t hash(std::string_view text);

  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
};

}  // namespace weft::tokenizer
