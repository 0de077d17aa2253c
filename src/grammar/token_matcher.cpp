#include "grammar/token_matcher.hpp"

#include <algorithm>

namespace weft::grammar {

TokenMatcher::TokenMatcher(std::shared_ptr<TokenGrammar> grammar, bool strip_first_leading_space)
    : grammar_(std::move(grammar)),
      strip_first_leading_space_(strip_first_leading_space &&
                                 grammar_->vocabulary().strips_leading_space()) {
  states_.push_back(initial_state(grammar_->grammar()));
  ended_.push_back(false);
}

std::shared_ptr<const TokenMask> TokenMatcher::mask() {
  if (ended()) {
    auto none = std::make_shared<TokenMask>();
    none->bits.assign((static_cast<size_t>(grammar_->vocabulary().size()) + 63) / 64, 0);
    return none;
  }
  return grammar_->mask(states_.back(), strip_now());
}

bool TokenMatcher::accept(TokenId token) {
  const TokenVocabulary& vocabulary = grammar_->vocabulary();
  if (ended() || token < 0 || token >= vocabulary.size()) return false;
  if (vocabulary.is_end_of_generation(token)) {
    if (!can_end()) return false;
    states_.push_back(states_.back());
    ended_.push_back(true);
    return true;
  }
  if (!vocabulary.is_text(token)) return false;
  std::string_view bytes = vocabulary.bytes(token);
  if (strip_now() && bytes.front() == ' ') {
    bytes.remove_prefix(1);
    if (bytes.empty()) return false;
  }
  ParseState next = grammar_->advance(states_.back(), bytes);
  if (next.dead()) return false;
  states_.push_back(std::move(next));
  ended_.push_back(false);
  return true;
}

bool TokenMatcher::accept_text(std::string_view bytes) {
  if (ended()) return false;
  ParseState next = grammar_->advance(states_.back(), bytes);
  if (next.dead()) return false;
  states_.push_back(std::move(next));
  ended_.push_back(false);
  return true;
}

void TokenMatcher::rollback(size_t tokens) {
  size_t keep = states_.size() - std::min(tokens, states_.size() - 1);
  states_.resize(keep);
  ended_.resize(keep);
}

bool TokenMatcher::can_end() const {
  return !ended() && states_.back().can_end();
}

}  // namespace weft::grammar
