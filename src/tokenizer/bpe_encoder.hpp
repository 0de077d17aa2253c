// Byte-level BPE (`tokenizer.ggml.model = gpt2`): the pre-tokenizer cuts text into words,
// each word's bytes become GPT-2 characters, and adjacent symbols merge in the order of
// `tokenizer.ggml.merges` (lowest rank first, leftmost on ties) through a priority queue.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tokenizer/fragment_encoder.hpp"
#include "tokenizer/merge_table.hpp"
#include "tokenizer/pre_tokenizer.hpp"
#include "tokenizer/vocab.hpp"

namespace weft::tokenizer {

class BpeEncoder final : public FragmentEncoder {
 public:
  // Throws weft::Error naming the merge when a line of tokenizer.ggml.merges is malformed.
  BpeEncoder(const Vocab& vocab, PreTokenizer pre);
  void encode(std::string_view text, bool at_boundary, std::vector<TokenId>& out,
              size_t limit) const override;

 private:
  struct Scratch;

  void encode_word(std::string_view word, Scratch& scratch, std::vector<TokenId>& out) const;

  const Vocab& vocab_;
  PreTokenizer pre_;
  IdPairMap<RankedMerge> merges_;
  std::array<TokenId, 256> byte_tokens_;  // the token of each byte's GPT-2 character, or -1
};

}  // namespace weft::tokenizer
