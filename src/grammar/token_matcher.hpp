// Constrained decoding for one generation: which tokens the grammar allows next, given the
// tokens accepted so far.
//
//   auto vocabulary = std::make_shared<const TokenVocabulary>(tokenizer);   // per tokenizer
//   auto compiled = std::make_shared<TokenGrammar>(parse_gbnf(text), vocabulary);  // shared
//   TokenMatcher matcher(compiled);                                         // per generation
//   auto mask = matcher.mask();        // logits of tokens !mask->allows(id) become -inf
//   matcher.accept(sampled);           // false: the token does not fit
//   matcher.rollback(2);               // speculative decoding rejected two tokens
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "grammar/token_grammar.hpp"

namespace weft::grammar {

class TokenMatcher {
 public:
  // `strip_first_leading_space`: the first token's leading space never reaches the text
  // (a SentencePiece vocabulary starting a text with nothing before it).
  explicit TokenMatcher(std::shared_ptr<TokenGrammar> grammar,
                        bool strip_first_leading_space = false);

  // The allowed next tokens (end-of-generation ones exactly when the text so far is a
  // complete sentence). Nothing is allowed after an accepted end-of-generation token.
  std::shared_ptr<const TokenMask> mask();
  // Advances past `token`; returns false and changes nothing when the grammar does not
  // allow it.
  bool accept(TokenId token);
  // Advances past `bytes` as one step (rollback counts it as one token): the text a grammar
  // starts from when it applies mid-token (TriggeredMatcher). False: they do not fit.
  bool accept_text(std::string_view bytes);
  // Forgets the last `tokens` accepted tokens (at most all of them).
  void rollback(size_t tokens);

  // The text so far is a complete sentence of the grammar.
  bool can_end() const;
  // An end-of-generation token was accepted.
  bool ended() const { return ended_.back(); }
  size_t accepted_tokens() const { return states_.size() - 1; }

 private:
  bool strip_now() const { return strip_first_leading_space_ && states_.size() == 1; }

  std::shared_ptr<TokenGrammar> grammar_;
  bool strip_first_leading_space_;
  std::vector<ParseState> states_;  // [0] the start; one more per accepted token
  std::vector<bool> ended_;
};

}  // namespace weft::grammar
