#include "grammar/token_vocabulary.hpp"

#include <algorithm>

namespace weft::grammar {

TokenVocabulary::TokenVocabulary(const tokenizer::Tokenizer& tokenizer)
    : strips_leading_space_(tokenizer.strips_leading_space()) {
  const auto count = static_cast<size_t>(std::max(tokenizer.vocab_size(), 0));
  bytes_.resize(count);
  text_.assign(count, false);
  end_.assign(count, false);
  for (size_t i = 0; i < count; ++i) {
    const auto id = static_cast<TokenId>(i);
    if (tokenizer.is_end_of_generation(id)) {
      end_[i] = true;
      end_ids_.push_back(id);
      continue;
    }
    auto type = tokenizer.type(id);
    if (type == tokenizer::TokenType::control || type == tokenizer::TokenType::unknown ||
        type == tokenizer::TokenType::unused) {
      continue;
    }
    bytes_[i] = tokenizer.token_bytes(id);
    text_[i] = !bytes_[i].empty();
  }
  build_trie();
}

void TokenVocabulary::build_trie() {
  for (size_t i = 0; i < bytes_.size(); ++i) {
    if (text_[i]) trie_tokens_.push_back(static_cast<TokenId>(i));
  }
  std::sort(trie_tokens_.begin(), trie_tokens_.end(), [&](TokenId a, TokenId b) {
    return bytes_[static_cast<size_t>(a)] < bytes_[static_cast<size_t>(b)];
  });
  // Sorted strings give the preorder directly: each string shares its longest common prefix
  // with its predecessor, and nodes past that prefix close (their subtree ends) before new
  // ones open.
  std::vector<uint32_t> path;  // node index at each depth - 1
  std::string_view previous;
  for (uint32_t position = 0; position < trie_tokens_.size(); ++position) {
    std::string_view current = bytes_[static_cast<size_t>(trie_tokens_[position])];
    size_t common = 0;
    while (common < previous.size() && common < current.size() &&
           previous[common] == current[common]) {
      ++common;
    }
    while (path.size() > common) {
      trie_[path.back()].subtree_end = static_cast<uint32_t>(trie_.size());
      path.pop_back();
    }
    for (size_t depth = common; depth < current.size(); ++depth) {
      path.push_back(static_cast<uint32_t>(trie_.size()));
      trie_.push_back(TrieNode{0, position, position, static_cast<uint32_t>(depth + 1),
                               static_cast<uint8_t>(current[depth])});
    }
    TrieNode& end_node = trie_[path.back()];
    if (end_node.tokens_end != position) end_node.tokens_begin = position;  // first token here
    end_node.tokens_end = position + 1;
    max_token_bytes_ = std::max(max_token_bytes_, static_cast<uint32_t>(current.size()));
    previous = current;
  }
  while (!path.empty()) {
    trie_[path.back()].subtree_end = static_cast<uint32_t>(trie_.size());
    path.pop_back();
  }
}

}  // namespace weft::grammar
