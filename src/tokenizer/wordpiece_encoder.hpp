// BERT WordPiece (`tokenizer.ggml.model = bert`): BERT's normaliser (clean control characters,
// space out CJK ideographs, strip accents, lowercase), split at whitespace and punctuation,
// then greedy longest-match pieces per word. GGUF stores word-initial pieces with a leading
// "▁" and continuation pieces bare (Hugging Face's "##" prefix removed).
#pragma once

#include "tokenizer/fragment_encoder.hpp"
#include "tokenizer/vocab.hpp"

namespace weft::tokenizer {

class WordPieceEncoder final : public FragmentEncoder {
 public:
  explicit WordPieceEncoder(const Vocab& vocab) : vocab_(vocab) {}
  void encode(std::string_view text, bool at_boundary, std::vector<TokenId>& out,
              size_t limit) const override;

 private:
  void encode_word(std::string_view word, std::vector<TokenId>& out) const;
  const Vocab& vocab_;
};

}  // namespace weft::tokenizer
