// A tokenizer over a hand-written vocabulary, for tests of code that only needs the
// Tokenizer contract (generator, scheduler): each token's bytes are given verbatim.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace weft::testing {

class FakeTokenizer : public tokenizer::Tokenizer {
 public:
  using TokenId = tokenizer::TokenId;

  // `pieces[id]` is the text of token id; ids in `end_of_generation` end a generation and
  // decode to nothing (as control tokens do).
  // `strips_leading_space`: behave like SentencePiece, whose decoding drops the space that
  // encoding put before the first word.
  FakeTokenizer(std::vector<std::string> pieces, std::set<TokenId> end_of_generation,
                bool strips_leading_space = false)
      : pieces_(std::move(pieces)),
        end_of_generation_(std::move(end_of_generation)),
        strips_leading_space_(strips_leading_space) {}

  TokenId id_of(std::string_view piece) const {
    auto it = std::find(pieces_.begin(), pieces_.end(), piece);
    return it == pieces_.end() ? -1 : static_cast<TokenId>(it - pieces_.begin());
  }

  std::vector<TokenId> encode(std::string_view, tokenizer::EncodeOptions) const override {
    return {};
  }
  std::string decode(std::span<const TokenId> ids, bool render_special) const override {
    std::string text;
    for (TokenId id : ids) {
      if (render_special || !end_of_generation_.contains(id)) text += pieces_.at(id);
    }
    return text;
  }
  std::string token_bytes(TokenId id) const override {
    return end_of_generation_.contains(id) ? std::string() : pieces_.at(id);
  }
  const std::string& piece(TokenId id) const override { return pieces_.at(id); }
  std::optional<TokenId> find_piece(std::string_view piece) const override {
    TokenId id = id_of(piece);
    return id < 0 ? std::nullopt : std::optional<TokenId>(id);
  }
  int32_t vocab_size() const override { return static_cast<int32_t>(pieces_.size()); }
  tokenizer::TokenType type(TokenId id) const override {
    return end_of_generation_.contains(id) ? tokenizer::TokenType::control
                                           : tokenizer::TokenType::normal;
  }
  std::string_view model_name() const override { return "gpt2"; }
  std::optional<TokenId> bos() const override { return std::nullopt; }
  std::optional<TokenId> eos() const override {
    if (end_of_generation_.empty()) return std::nullopt;
    return *end_of_generation_.begin();
  }
  std::optional<TokenId> eot() const override { return std::nullopt; }
  bool add_bos_by_default() const override { return false; }
  bool add_eos_by_default() const override { return false; }
  bool is_end_of_generation(TokenId id) const override { return end_of_generation_.contains(id); }
  bool strips_leading_space() const override { return strips_leading_space_; }

 private:
  std::vector<std::string> pieces_;
  std::set<TokenId> end_of_generation_;
  bool strips_leading_space_ = false;
};

}  // namespace weft::testing
