// Byte-level BPE (`tokenizer.ggml.model = gpt2`): the pre-tokenizer cuts text into words,
// each word's bytes become GPT-2 characters, and adjacent symbols merge in the order of
// `tokenizer.ggml.merges` (lowest rank first, leftmost on ties) through a priority queue.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "tokenizer/fragment_encoder.hpp"
#include "tokenizer/pre_tokenizer.hpp"
#include "tokenizer/vocab.hpp"

namespace weft::tokenizer {

class BpeEncoder final : public FragmentEncoder {
 public:
  // Throws weft::Error naming the merge when a line of tokenizer.ggml.merges is malformed.
  BpeEncoder(const Vocab& vocab, PreTokenizer pre);
  void encode(std::string_view text, bool at_boundary, std::vector<TokenId>& out) const override;

 private:
  struct Merge {
    int32_t rank;
    TokenId result;
  };
  static uint64_t pair_key(TokenId left, TokenId right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  const Merge* find_merge(TokenId left, TokenId right) const;
  void encode_word(std::string_view word, std::vector<TokenId>& out) const;

  const Vocab& vocab_;
  PreTokenizer pre_;
  std::unordered_map<uint64_t, Merge> merges_;
};

}  // namespace weft::tokenizer
