// A grammar compiled against one vocabulary, shared by every generation that uses both.
// It interns parser states (the stacks plus any partial UTF-8 sequence) so that each state
// gets a number, a lazily filled table of its 256 byte transitions and, once asked, its
// token mask. Walking the vocabulary trie then costs one table lookup per trie node, and a
// state seen before (the common case: JSON keeps returning to the same few states) costs
// nothing but a hash lookup. Thread-safe: the caches sit behind a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "grammar/parse_state.hpp"
#include "grammar/token_vocabulary.hpp"

namespace weft::grammar {

// Allowed tokens: one bit per vocabulary entry.
struct TokenMask {
  std::vector<uint64_t> bits;
  bool any_text = false;  // some token other than end-of-generation is allowed
  bool can_end = false;   // end-of-generation tokens are allowed

  bool allows(TokenId id) const {
    auto index = static_cast<size_t>(id);
    return (bits[index >> 6] >> (index & 63)) & 1;
  }
  void allow(TokenId id) {
    auto index = static_cast<size_t>(id);
    bits[index >> 6] |= uint64_t{1} << (index & 63);
  }
};

struct ParseStateHash {
  size_t operator()(const ParseState& state) const;
};

class TokenGrammar {
 public:
  TokenGrammar(std::shared_ptr<const Grammar> grammar,
               std::shared_ptr<const TokenVocabulary> vocabulary);

  const Grammar& grammar() const { return *grammar_; }
  const TokenVocabulary& vocabulary() const { return *vocabulary_; }

  // The tokens whose bytes keep `state` alive, plus end-of-generation when it can end.
  // With `strip_leading_space`, a token's leading space is not part of the text (the first
  // token of a SentencePiece text).
  std::shared_ptr<const TokenMask> mask(const ParseState& state, bool strip_leading_space);

  // The state after the token's bytes (dead when they do not fit).
  ParseState advance(const ParseState& state, std::string_view bytes);

  // Interned states right now (for tests and the benchmark).
  size_t cached_states() const;

 private:
  static constexpr uint32_t kDead = 0;
  static constexpr uint32_t kUnknown = UINT32_MAX;
  struct Entry {
    ParseState state;
    std::unique_ptr<uint32_t[]> transitions;  // 256, kUnknown until computed
    std::shared_ptr<const TokenMask> mask;
  };

  void reset_if_large();
  uint32_t intern(const ParseState& state);
  uint32_t step(uint32_t state, uint8_t byte);
  // Allows every token in trie nodes [begin, end) whose bytes (from the forest's roots on)
  // keep `start` alive.
  void walk(uint32_t begin, uint32_t end, uint32_t start, TokenMask& mask);
  std::shared_ptr<TokenMask> compute_mask(uint32_t state, bool strip_leading_space);

  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const TokenVocabulary> vocabulary_;
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  std::unordered_map<ParseState, uint32_t, ParseStateHash> ids_;
  size_t masks_kept_ = 0;
  std::vector<uint32_t> walk_states_;  // per trie depth, reused between walks
};

}  // namespace weft::grammar
