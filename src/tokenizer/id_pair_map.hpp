// A flat open-addressing map keyed by a pair of token ids: the hot lookup of the BPE merge
// loops ("may these two symbols merge, and into what?"), kept in one array for cache locality.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {

template <typename Value>
class IdPairMap {
 public:
  void reserve(size_t count) {
    size_t capacity = 16;
    shift_ = 60;
    while (capacity < count * 2) {
      capacity *= 2;
      --shift_;
    }
    slots_.assign(capacity, Slot{});
  }

  // Keeps the first value stored for a pair (the better rank when filled in rank order).
  void insert_if_absent(TokenId left, TokenId right, Value value) {
    uint64_t key = key_of(left, right);
    size_t mask = slots_.size() - 1;
    for (size_t slot = slot_of(key);; slot = (slot + 1) & mask) {
      if (slots_[slot].key == key) return;
      if (slots_[slot].key == kEmpty) {
        slots_[slot] = {key, value};
        return;
      }
    }
  }

  const Value* find(TokenId left, TokenId right) const {
    if (left < 0 || right < 0 || slots_.empty()) return nullptr;
    uint64_t key = key_of(left, right);
    size_t mask = slots_.size() - 1;
    for (size_t slot = slot_of(key);; slot = (slot + 1) & mask) {
      if (slots_[slot].key == key) return &slots_[slot].value;
      if (slots_[slot].key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are never negative, so never a key
  struct Slot {
    uint64_t key = kEmpty;
    Value value{};
  };
  static uint64_t key_of(TokenId left, TokenId right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  size_t slot_of(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  std::vector<Slot> slots_;
  int shift_ = 60;
};

}  // namespace weft::tokenizer
