// weft::TokenMask (include/weft/constraint.hpp): a bitset over the vocabulary.
#include <algorithm>
#include <bit>
#include <limits>
#include <string>
#include <utility>

#include "weft/constraint.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

size_t words_for(int64_t tokens) {
  return static_cast<size_t>((tokens + 63) / 64);
}

}  // namespace

TokenMask::TokenMask(int64_t vocabulary_size, bool allowed) : size_(vocabulary_size) {
  if (vocabulary_size < 0) throw Error("token mask: the vocabulary size must not be negative");
  words_.assign(words_for(size_), allowed ? ~uint64_t{0} : 0);
  if (allowed && size_ % 64 != 0) words_.back() = (uint64_t{1} << (size_ % 64)) - 1;
}

TokenMask::TokenMask(int64_t vocabulary_size, std::vector<uint64_t> words)
    : size_(vocabulary_size), words_(std::move(words)) {
  if (vocabulary_size < 0) throw Error("token mask: the vocabulary size must not be negative");
  words_.resize(words_for(size_), 0);
  if (size_ % 64 != 0) words_.back() &= (uint64_t{1} << (size_ % 64)) - 1;
}

bool TokenMask::allows(int32_t token) const {
  if (token < 0 || token >= size_) return false;
  auto index = static_cast<size_t>(token);
  return (words_[index >> 6] >> (index & 63)) & 1;
}

void TokenMask::set(int32_t token, bool allowed) {
  if (token < 0 || token >= size_) {
    throw Error("token mask: token " + std::to_string(token) + " is outside the vocabulary (" +
                std::to_string(size_) + " tokens)");
  }
  auto index = static_cast<size_t>(token);
  const uint64_t bit = uint64_t{1} << (index & 63);
  if (allowed) {
    words_[index >> 6] |= bit;
  } else {
    words_[index >> 6] &= ~bit;
  }
}

int64_t TokenMask::count() const {
  int64_t allowed = 0;
  for (uint64_t word : words_) allowed += std::popcount(word);
  return allowed;
}

TokenMask& TokenMask::operator&=(const TokenMask& other) {
  if (other.size_ != size_) {
    throw Error("token mask: cannot combine a mask of " + std::to_string(other.size_) +
                " tokens with one of " + std::to_string(size_));
  }
  for (size_t word = 0; word < words_.size(); ++word) words_[word] &= other.words_[word];
  return *this;
}

void TokenMask::apply(std::span<float> logits) const {
  if (static_cast<int64_t>(logits.size()) != size_) {
    throw Error("token mask: " + std::to_string(logits.size()) +
                " logits given for a vocabulary of " + std::to_string(size_) + " tokens");
  }
  constexpr float kForbidden = -std::numeric_limits<float>::infinity();
  for (size_t word = 0; word < words_.size(); ++word) {
    const uint64_t allowed = words_[word];
    if (allowed == ~uint64_t{0}) continue;
    const size_t first = word * 64;
    const size_t last = std::min(first + 64, logits.size());
    for (size_t i = first; i < last; ++i) {
      if (!((allowed >> (i - first)) & 1)) logits[i] = kForbidden;
    }
  }
}

}  // namespace weft
