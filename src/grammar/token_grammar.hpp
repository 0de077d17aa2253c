// A grammar compiled against one vocabulary, shared by every generation that uses both.
// It interns parser states (the stacks plus any partial UTF-8 sequence) so that each state
// gets a number, a lazily filled table of its 256 byte transitions and, once asked, its
// token mask. Walking the vocabulary trie then costs one table lookup per trie node, and a
// state seen before (the common case: JSON keeps returning to the same few states) costs
// nothing but a hash lookup. Thread-safe: the caches sit behind a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "grammar/parse_state.hpp"
#include "grammar/token_vocabulary.hpp"
#include "sync/mutex.hpp"

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

  // Interned states right now, and trie nodes visited by mask computations so far (for
  // tests and the benchmark: a measure of work that does not depend on the machine).
  size_t cached_states() const;
  uint64_t nodes_walked() const;

 private:
  static constexpr uint32_t kDead = 0;
  static constexpr uint32_t kUnknown = UINT32_MAX;
  // What a state's top frames decide alone (see compute_mask): tokens allowed without
  // leaving them, and the trie nodes where some stack left them (the rest of the state
  // decides those nodes' subtrees).
  struct LocalMask {
    std::vector<uint64_t> bits;
    std::vector<uint32_t> exits;      // trie node indices
    std::string exit_paths;           // each exit's bytes from the root, concatenated
    std::vector<uint32_t> path_ends;  // end of each exit's bytes in exit_paths
  };
  struct Entry {
    ParseState state;
    std::unique_ptr<uint32_t[]> transitions;  // 256, kUnknown until computed
    std::shared_ptr<const TokenMask> mask;
    std::shared_ptr<const LocalMask> local;  // for states whose stacks were cut short
    bool left_top_frames = false;            // some stack's top is kSetAside
  };

  // The caches below are shared by every matcher of this grammar: all of it under mutex_.
  void reset_if_large() WEFT_REQUIRES(mutex_);
  uint32_t intern(const ParseState& state) WEFT_REQUIRES(mutex_);
  uint32_t step(uint32_t state, uint8_t byte) WEFT_REQUIRES(mutex_);
  // Allows every token in trie nodes [begin, end) whose bytes (from the forest's roots on)
  // keep `start` alive. With `local`, a node where the state leaves its top frames is
  // recorded there instead of walked into.
  void walk(uint32_t begin, uint32_t end, uint32_t start, std::vector<uint64_t>& bits,
            LocalMask* local = nullptr) WEFT_REQUIRES(mutex_);
  std::shared_ptr<TokenMask> compute_mask(uint32_t state, bool strip_leading_space)
      WEFT_REQUIRES(mutex_);
  std::shared_ptr<const LocalMask> local_mask(uint32_t top_frames) WEFT_REQUIRES(mutex_);

  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const TokenVocabulary> vocabulary_;
  mutable sync::Mutex mutex_;
  std::vector<Entry> entries_ WEFT_GUARDED_BY(mutex_);
  std::unordered_map<ParseState, uint32_t, ParseStateHash> ids_ WEFT_GUARDED_BY(mutex_);
  size_t masks_kept_ WEFT_GUARDED_BY(mutex_) = 0;
  uint64_t nodes_walked_ WEFT_GUARDED_BY(mutex_) = 0;
  std::vector<uint32_t> walk_states_
      WEFT_GUARDED_BY(mutex_);                     // per trie depth, reused between walks
  std::string walk_path_ WEFT_GUARDED_BY(mutex_);  // the bytes from the root to the current node
};

}  // namespace weft::grammar
