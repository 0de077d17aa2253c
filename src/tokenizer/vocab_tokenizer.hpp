// The one Tokenizer implementation: a vocabulary plus the encoder its model names.
#pragma once

#include <memory>

#include "tokenizer/fragment_encoder.hpp"
#include "tokenizer/special_tokens.hpp"
#include "tokenizer/vocab.hpp"

namespace weft::tokenizer {

class VocabTokenizer final : public Tokenizer {
 public:
  explicit VocabTokenizer(Vocab vocab);

  std::vector<TokenId> encode(std::string_view text, EncodeOptions options) const override;
  std::string decode(std::span<const TokenId> ids, bool render_special) const override;
  std::string token_bytes(TokenId id) const override;
  const std::string& piece(TokenId id) const override;
  std::optional<TokenId> find_piece(std::string_view piece) const override;

  int32_t vocab_size() const override { return vocab_.size(); }
  TokenType type(TokenId id) const override;
  std::string_view model_name() const override { return vocab_.model; }

  std::optional<TokenId> bos() const override { return vocab_.bos; }
  std::optional<TokenId> eos() const override { return vocab_.eos; }
  std::optional<TokenId> eot() const override { return vocab_.eot; }
  std::optional<TokenId> unk() const override { return vocab_.unk; }
  std::optional<TokenId> pad() const override { return vocab_.pad; }
  bool add_bos_by_default() const override { return vocab_.add_bos; }
  bool add_eos_by_default() const override { return vocab_.add_eos; }
  bool is_end_of_generation(TokenId id) const override;
  bool strips_leading_space() const override { return strip_leading_space_; }

  const Vocab& vocab() const { return vocab_; }

 private:
  void check_id(TokenId id) const;
  std::string compute_token_bytes(TokenId id) const;

  Vocab vocab_;
  std::unique_ptr<FragmentEncoder> encoder_;
  SpecialTokenMatcher special_;
  std::vector<std::string> token_bytes_;
  std::vector<bool> end_of_generation_;
  bool strip_leading_space_ = false;
};

}  // namespace weft::tokenizer
