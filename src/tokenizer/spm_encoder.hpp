// SentencePiece-style BPE (`tokenizer.ggml.model = llama`): spaces become "▁", adjacent
// pieces merge best score first, and characters missing from the vocabulary fall back to
// byte tokens <0xNN> (or <unk> when the vocabulary has none).
#pragma once

#include <array>
#include <optional>

#include "tokenizer/fragment_encoder.hpp"
#include "tokenizer/vocab.hpp"

namespace weft::tokenizer {

class SpmEncoder final : public FragmentEncoder {
 public:
  explicit SpmEncoder(const Vocab& vocab);
  void encode(std::string_view text, bool at_boundary, std::vector<TokenId>& out) const override;

 private:
  std::optional<TokenId> find_mergeable(std::string_view piece) const;
  void emit_piece(std::string_view piece, std::vector<TokenId>& out) const;

  const Vocab& vocab_;
  std::array<TokenId, 256> byte_tokens_;  // -1 where the vocabulary lacks <0xNN>
};

}  // namespace weft::tokenizer
