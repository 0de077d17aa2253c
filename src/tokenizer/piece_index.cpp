#include "tokenizer/piece_index.hpp"

#include <cstring>

namespace weft::tokenizer {
namespace {

constexpr uint64_t kMultiplier = 0x9E3779B97F4A7C15ull;

uint64_t mix(uint64_t value) {
  value ^= value >> 31;
  value *= 0xBF58476D1CE4E5B9ull;
  value ^= value >> 29;
  return value;
}

}  // namespace

// Eight bytes at a time (pieces are short: most fit one or two words), the length folded in
// so that "a" and "a\0" differ.
uint64_t PieceIndex::hash(std::string_view text) {
  uint64_t state = text.size() * kMultiplier;
  size_t pos = 0;
  for (; pos + 8 <= text.size(); pos += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + pos, 8);
    state = mix(state ^ word) * kMultiplier;
  }
  if (pos < text.size()) {
    uint64_t word = 0;
    std::memcpy(&word, text.data() + pos, text.size() - pos);
    state = mix(state ^ word) * kMultiplier;
  }
  return mix(state);
}

void PieceIndex::build(std::span<const std::string> pieces) {
  size_t capacity = 16;
  while (capacity < pieces.size() * 2) capacity *= 2;  // at most half full
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  for (size_t id = 0; id < pieces.size(); ++id) {
    const uint64_t h = hash(pieces[id]);
    const auto tag = static_cast<uint32_t>(h >> 32);
    for (uint64_t slot = h & mask_;; slot = (slot + 1) & mask_) {
      Slot& here = slots_[slot];
      if (here.id < 0) {
        here = {tag, static_cast<TokenId>(id)};
        break;
      }
      if (here.tag == tag && pieces[static_cast<size_t>(here.id)] == pieces[id]) break;
    }
  }
}

std::optional<TokenId> PieceIndex::find(std::string_view piece,
                                        std::span<const std::string> pieces) const {
  if (slots_.empty()) return std::nullopt;
  const uint64_t h = hash(piece);
  const auto tag = static_cast<uint32_t>(h >> 32);
  for (uint64_t slot = h & mask_;; slot = (slot + 1) & mask_) {
    const Slot& here = slots_[slot];
    if (here.id < 0) return std::nullopt;
    if (here.tag == tag && pieces[static_cast<size_t>(here.id)] == piece) return here.id;
  }
}

}  // namespace weft::tokenizer
