#include "grammar/token_grammar.hpp"

#include <algorithm>

#include "sync/mutex.hpp"

namespace weft::grammar {
namespace {

// Interned states kept before the caches start over (each costs about 1 KiB of
// transitions plus its mask once asked).
constexpr size_t kMaxStates = 1 << 14;
// Masks kept (each is vocabulary size / 8 bytes: 19 KiB for 150k tokens).
constexpr size_t kMaxMasks = 1024;
// Stack elements a local mask looks at: enough for a string's or a repetition's loop
// (closing delimiter, repetition rule, current item), so that every string of a JSON
// document, whatever object or array it sits in, shares one local mask.
constexpr size_t kTopFrames = 3;

void allow(std::vector<uint64_t>& bits, TokenId id) {
  auto index = static_cast<size_t>(id);
  bits[index >> 6] |= uint64_t{1} << (index & 63);
}

// The state with every stack cut to its top kTopFrames elements over a kSetAside marker;
// `cut` says whether any stack was deeper than that.
ParseState top_frames_of(const ParseState& state, bool& cut) {
  ParseState top{{}, state.partial};
  cut = false;
  for (const Stack& stack : state.stacks) {
    if (stack.size() <= kTopFrames) {
      top.stacks.push_back(stack);
      continue;
    }
    cut = true;
    Stack shortened{kSetAside};
    shortened.insert(shortened.end(), stack.end() - kTopFrames, stack.end());
    top.stacks.push_back(std::move(shortened));
  }
  std::sort(top.stacks.begin(), top.stacks.end());
  top.stacks.erase(std::unique(top.stacks.begin(), top.stacks.end()), top.stacks.end());
  return top;
}

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
  const sync::MutexLock lock(mutex_);
  reset_if_large();
}

size_t TokenGrammar::cached_states() const {
  sync::MutexLock lock(mutex_);
  return entries_.size();
}

uint64_t TokenGrammar::nodes_walked() const {
  sync::MutexLock lock(mutex_);
  return nodes_walked_;
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
    Entry entry{state, std::make_unique<uint32_t[]>(256), nullptr, nullptr, false};
    std::fill_n(entry.transitions.get(), 256, kUnknown);
    for (const Stack& stack : state.stacks) {
      entry.left_top_frames =
          entry.left_top_frames || (!stack.empty() && stack.back() == kSetAside);
    }
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

void TokenGrammar::walk(uint32_t begin, uint32_t end, uint32_t start, std::vector<uint64_t>& bits,
                        LocalMask* local) {
  const auto nodes = vocabulary_->trie();
  const auto tokens = vocabulary_->trie_tokens();
  if (begin >= end) return;
  walk_states_.resize(vocabulary_->max_token_bytes() + 1);
  walk_path_.resize(vocabulary_->max_token_bytes());
  const uint32_t base_depth = nodes[begin].depth - 1;
  walk_states_[base_depth] = start;
  for (uint32_t i = begin; i < end;) {
    const TrieNode& node = nodes[i];
    ++nodes_walked_;
    uint32_t next = step(walk_states_[node.depth - 1], node.byte);
    if (next == kDead) {
      i = node.subtree_end;
      continue;
    }
    if (local) walk_path_[node.depth - 1] = static_cast<char>(node.byte);
    if (local && entries_[next].left_top_frames) {
      local->exits.push_back(i);
      local->exit_paths.append(walk_path_, 0, node.depth);
      local->path_ends.push_back(static_cast<uint32_t>(local->exit_paths.size()));
      i = node.subtree_end;
      continue;
    }
    walk_states_[node.depth] = next;
    for (uint32_t t = node.tokens_begin; t < node.tokens_end; ++t) allow(bits, tokens[t]);
    ++i;
  }
}

std::shared_ptr<const TokenGrammar::LocalMask> TokenGrammar::local_mask(uint32_t top_frames) {
  if (entries_[top_frames].local) return entries_[top_frames].local;
  auto local = std::make_shared<LocalMask>();
  local->bits.assign((static_cast<size_t>(vocabulary_->size()) + 63) / 64, 0);
  walk(0, static_cast<uint32_t>(vocabulary_->trie().size()), top_frames, local->bits, local.get());
  entries_[top_frames].local = local;
  ++masks_kept_;
  return local;
}

std::shared_ptr<TokenMask> TokenGrammar::compute_mask(uint32_t state, bool strip_leading_space) {
  auto mask = std::make_shared<TokenMask>();
  mask->bits.assign((static_cast<size_t>(vocabulary_->size()) + 63) / 64, 0);
  const auto nodes = vocabulary_->trie();
  const auto total = static_cast<uint32_t>(nodes.size());
  bool cut = false;
  ParseState top = strip_leading_space ? ParseState{} : top_frames_of(entries_[state].state, cut);
  // Even for a top seen once, the local walk plus the walks below its exits visit about
  // the nodes a plain walk would; every later state with the same top saves most of them.
  const uint32_t top_id = cut ? intern(top) : kDead;
  if (strip_leading_space) {
    // Tokens that start with a space add their text without it: walk the space node's
    // subtree from the state itself (a token that is only a space adds nothing: never).
    for (uint32_t i = 0; i < total; i = nodes[i].subtree_end) {
      if (nodes[i].byte == ' ') {
        walk(i + 1, nodes[i].subtree_end, state, mask->bits);
      } else {
        walk(i, nodes[i].subtree_end, state, mask->bits);
      }
    }
  } else if (!cut) {
    walk(0, total, state, mask->bits);
  } else {
    // Deep stacks: what the top frames decide alone is shared by every state with the same
    // top (a JSON string's content, wherever the string is); only the tokens that leave
    // the top frames are walked again with the whole state, from where they left.
    auto local = local_mask(top_id);
    mask->bits = local->bits;
    uint32_t path_begin = 0;
    for (size_t e = 0; e < local->exits.size(); ++e) {
      const TrieNode& exit = nodes[local->exits[e]];
      uint32_t at = state;
      for (uint32_t b = path_begin; b < local->path_ends[e] && at != kDead; ++b) {
        at = step(at, static_cast<uint8_t>(local->exit_paths[b]));
      }
      path_begin = local->path_ends[e];
      if (at == kDead) continue;
      for (uint32_t t = exit.tokens_begin; t < exit.tokens_end; ++t) {
        allow(mask->bits, vocabulary_->trie_tokens()[t]);
      }
      walk(local->exits[e] + 1, exit.subtree_end, at, mask->bits);
    }
  }
  mask->any_text = std::any_of(mask->bits.begin(), mask->bits.end(), [](uint64_t w) { return w; });
  mask->can_end = entries_[state].state.can_end();
  if (mask->can_end) {
    for (TokenId id : vocabulary_->end_of_generation()) mask->allow(id);
  }
  return mask;
}

std::shared_ptr<const TokenMask> TokenGrammar::mask(const ParseState& state,
                                                    bool strip_leading_space) {
  sync::MutexLock lock(mutex_);
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
  sync::MutexLock lock(mutex_);
  reset_if_large();
  uint32_t id = intern(state);
  for (char c : bytes) {
    id = step(id, static_cast<uint8_t>(c));
    if (id == kDead) return {};
  }
  return entries_[id].state;
}

}  // namespace weft::grammar
