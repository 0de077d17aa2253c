// A tokenizer's vocabulary as the grammar engine needs it, built once per tokenizer: the
// bytes each token adds to the text, arranged in a trie (tokens sharing a prefix share its
// walk), which tokens may ever be allowed, and which end the generation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace weft::grammar {

using TokenId = tokenizer::TokenId;

// One node of the trie in preorder: the node's subtree is [index, subtree_end). Tokens whose
// bytes end at this node are trie_tokens()[tokens_begin, tokens_end).
struct TrieNode {
  uint32_t subtree_end;
  uint32_t tokens_begin;
  uint32_t tokens_end;
  uint32_t depth;  // bytes from the root (the root itself is not stored)
  uint8_t byte;
};

class TokenVocabulary {
 public:
  explicit TokenVocabulary(const tokenizer::Tokenizer& tokenizer);

  int32_t size() const { return static_cast<int32_t>(bytes_.size()); }
  const std::string& bytes(TokenId id) const { return bytes_[static_cast<size_t>(id)]; }
  // Text tokens the grammar decides on. Control, unknown and unused tokens, and tokens that
  // add no text, never are: generating them would leave the grammar's view of the text.
  bool is_text(TokenId id) const { return text_[static_cast<size_t>(id)]; }
  bool is_end_of_generation(TokenId id) const { return end_[static_cast<size_t>(id)]; }
  std::span<const TokenId> end_of_generation() const { return end_ids_; }
  bool strips_leading_space() const { return strips_leading_space_; }

  std::span<const TrieNode> trie() const { return trie_; }
  std::span<const TokenId> trie_tokens() const { return trie_tokens_; }
  uint32_t max_token_bytes() const { return max_token_bytes_; }

 private:
  void build_trie();

  std::vector<std::string> bytes_;
  std::vector<bool> text_;
  std::vector<bool> end_;
  std::vector<TokenId> end_ids_;
  bool strips_leading_space_ = false;
  std::vector<TrieNode> trie_;
  std::vector<TokenId> trie_tokens_;
  uint32_t max_token_bytes_ = 0;
};

}  // namespace weft::grammar
