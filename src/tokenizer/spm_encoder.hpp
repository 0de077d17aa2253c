// SentencePiece-style BPE (`tokenizer.ggml.model = llama`): spaces become "▁", adjacent
// pieces merge best score first, and characters missing from the vocabulary fall back to
// byte tokens <0xNN> (or <unk> when the vocabulary has none).
#pragma once

#include <array>
#include <optional>

#include "tokenizer/fragment_encoder.hpp"
#include "tokenizer/id_pair_map.hpp"
#include "tokenizer/vocab.hpp"

namespace weft::tokenizer {

class SpmEncoder final : public FragmentEncoder {
 public:
  explicit SpmEncoder(const Vocab& vocab);
  void encode(std::string_view text, bool at_boundary, std::vector<TokenId>& out,
              size_t limit) const override;

 private:
  void build_pairs();
  std::optional<TokenId> find_mergeable(std::string_view piece) const;
  TokenId character_token(std::string_view character) const;
  void emit_piece(std::string_view piece, std::vector<TokenId>& out) const;
  void merge_segment(std::string_view text, std::vector<TokenId>& out) const;

  const Vocab& vocab_;
  std::array<TokenId, 256> byte_tokens_;  // -1 where the vocabulary lacks <0xNN>
  // ASCII bytes no longer piece contains (typically '\n'): merges never cross them, so the
  // text is merged segment by segment between them, which keeps the queue small.
  std::array<bool, 128> isolated_{};
  IdPairMap<TokenId> pairs_;  // (left, right) → the piece they form
  std::array<TokenId, 128> ascii_tokens_{};
  TokenId space_mark_token_ = -1;
};

}  // namespace weft::tokenizer
