// SentencePiece-style BPE (`tokenizer.ggml.model = llama`): spaces become "▁", adjacent
// pieces merge, and characters missing from the vocabulary fall back to byte tokens <0xNN>
// (or <unk> when the vocabulary has none). Which pieces merge first:
// - without `tokenizer.ggml.merges` (GGUFs converted from a SentencePiece model), the pair
//   forming the piece with the best score, as SentencePiece and llama.cpp do;
// - with merges (a Hugging Face tokenizer.json BPE with byte_fallback, e.g. Gemma 3's), only
//   the listed pairs, lowest rank first, as Hugging Face's BPE does; a character missing from
//   the vocabulary is then its byte tokens before merging starts.
#pragma once

#include <array>
#include <optional>

#include "tokenizer/pair_merging.hpp"

#include "tokenizer/fragment_encoder.hpp"
#include "tokenizer/id_pair_map.hpp"
#include "tokenizer/merge_table.hpp"
#include "tokenizer/vocab.hpp"

namespace weft::tokenizer {

class SpmEncoder final : public FragmentEncoder {
 public:
  explicit SpmEncoder(const Vocab& vocab);
  void encode(std::string_view text, bool at_boundary, std::vector<TokenId>& out,
              size_t limit) const override;

 private:
  void build_lookups();  // the single-character ids; the ranked merges when merging by rank
  std::optional<TokenId> find_mergeable(std::string_view piece) const;
  TokenId character_token(std::string_view character) const;
  void emit_piece(std::string_view piece, std::vector<TokenId>& out) const;
  void merge_segment(std::string_view text, std::vector<TokenId>& out) const;
  void append_character(std::vector<MergeSymbol>& symbols, std::string_view text,
                        uint32_t start) const;
  std::optional<PairMerge<float>> find_merge(std::string_view text, const MergeSymbol& left,
                                             const MergeSymbol& right) const;

  const Vocab& vocab_;
  std::array<TokenId, 256> byte_tokens_;  // -1 where the vocabulary lacks <0xNN>
  // ASCII bytes no longer piece contains (typically '\n'): merges never cross them, so the
  // text is merged segment by segment between them, which keeps the queue small.
  std::array<bool, 128> isolated_{};
  IdPairMap<RankedMerge> ranked_merges_;  // from tokenizer.ggml.merges (merging by rank)
  bool by_rank_ = false;
  std::array<TokenId, 128> ascii_tokens_{};
  TokenId space_mark_token_ = -1;
};

}  // namespace weft::tokenizer
