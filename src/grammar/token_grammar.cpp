#include "grammar/token_grammar.hpp"

#include <algorithm>

namespace weft::grammar {
namespace {

// Interned states kept before the caches start over (each costs about 1 KiB of
// transitions plus its mask once asked).
constexpr size_t kMaxStates = 1 << 14;
// Masks kept (each is vocabulary size / 8 bytes: 19 KiB for 150k tokens).
constexpr size_t kMaxMasks = 1024;

}  // namespace

size_t ParseStateHash::operator()(const ParseState& state) const {
  uint64_t hash = 0xcbf29ce484222325ull ^ state.partial.value ^
                  (uint64_t{state.partial.remaining} << 40) ^
                  (uint64_t{state.partial.length} << 48);
  auto mix = [&hash](uint64_t value) {
    hash ^= value + 0x9e3779b97f4a7c15ull + (hash << 6) + (hash >> 2);
  };
  for (const Stack& stack : state.stacks) {
    mix(stack.size());
    for (uint32_t position : stack) mix(position);
  }
  return static_cast<size_t>(hash);
}

TokenGrammar::TokenGrammar(std::shared_ptr<const Grammar> grammar,
                           std::shared_ptr<const TokenVocabulary> vocabulary)
    : grammar_(std::move(grammar)), vocabulary_(std::move(vocabulary)) {
  reset_if_large();
}

size_t TokenGrammar::cached_states() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void TokenGrammar::reset_if_large() {
  if (!entries_.empty() && entries_.size() < kMaxStates && masks_kept_ < kMaxMasks) return;
  masks_kept_ = 0;
  entries_.clear();
  ids_.clear();
  intern(ParseState{});  // kDead
}

uint32_t TokenGrammar::intern(const ParseState& state) {
  auto [it, inserted] = ids_.emplace(state, static_cast<uint32_t>(entries_.size()));
  if (inserted) {
    Entry entry{state, std::make_unique<uint32_t[]>(256), nullptr};
    std::fill_n(entry.transitions.get(), 256, kUnknown);
    entries_.push_back(std::move(entry));
  }
  return it->second;
}

uint32_t TokenGrammar::step(uint32_t state, uint8_t byte) {
  uint32_t next = entries_[state].transitions[byte];
  if (next != kUnknown) return next;
  ParseState advanced = advance_byte(*grammar_, entries_[state].state, byte);
  next = advanced.dead() ? kDead : intern(advanced);
  entries_[state].transitions[byte] = next;  // entries_ may have grown: index again
  return next;
}

void TokenGrammar::walk(uint32_t begin, uint32_t end, uint32_t start, TokenMask& mask) {
  const auto nodes = vocabulary_->trie();
  const auto tokens = vocabulary_->trie_tokens();
  if (begin >= end) return;
  walk_states_.resize(vocabulary_->max_token_bytes() + 1);
  const uint32_t base_depth = nodes[begin].depth - 1;
  walk_states_[base_depth] = start;
  for (uint32_t i = begin; i < end;) {
    const TrieNode& node = nodes[i];
    uint32_t next = step(walk_states_[node.depth - 1], node.byte);
    if (next == kDead) {
      i = node.subtree_end;
      continue;
    }
    walk_states_[node.depth] = next;
    for (uint32_t t = node.tokens_begin; t < node.tokens_end; ++t) mask.allow(tokens[t]);
    mask.any_text = mask.any_text || node.tokens_begin != node.tokens_end;
    ++i;
  }
}

std::shared_ptr<TokenMask> TokenGrammar::compute_mask(uint32_t state, bool strip_leading_space) {
  auto mask = std::make_shared<TokenMask>();
  mask->bits.assign((static_cast<size_t>(vocabulary_->size()) + 63) / 64, 0);
  const auto nodes = vocabulary_->trie();
  const auto total = static_cast<uint32_t>(nodes.size());
  if (!strip_leading_space) {
    walk(0, total, state, *mask);
  } else {
    // Tokens that start with a space add their text without it: walk the space node's
    // subtree from the state itself (a token that is only a space adds nothing: never).
    for (uint32_t i = 0; i < total; i = nodes[i].subtree_end) {
      if (nodes[i].byte == ' ') {
        walk(i + 1, nodes[i].subtree_end, state, *mask);
      } else {
        walk(i, nodes[i].subtree_end, state, *mask);
      }
    }
  }
  mask->can_end = entries_[state].state.can_end();
  if (mask->can_end) {
    for (TokenId id : vocabulary_->end_of_generation()) mask->allow(id);
  }
  return mask;
}

std::shared_ptr<const TokenMask> TokenGrammar::mask(const ParseState& state,
                                                    bool strip_leading_space) {
  std::lock_guard lock(mutex_);
  reset_if_large();
  uint32_t id = intern(state);
  if (strip_leading_space) return compute_mask(id, true);  // once per generation: not kept
  if (!entries_[id].mask) {
    entries_[id].mask = compute_mask(id, false);
    ++masks_kept_;
  }
  return entries_[id].mask;
}

ParseState TokenGrammar::advance(const ParseState& state, std::string_view bytes) {
  std::lock_guard lock(mutex_);
  reset_if_large();
  uint32_t id = intern(state);
  for (char c : bytes) {
    id = step(id, static_cast<uint8_t>(c));
    if (id == kDead) return {};
  }
  return entries_[id].state;
}

}  // namespace weft::grammar
