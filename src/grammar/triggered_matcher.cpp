#include "grammar/triggered_matcher.hpp"

#include <span>
#include <utility>

namespace weft::grammar {

TriggeredMatcher::TriggeredMatcher(std::shared_ptr<TokenGrammar> grammar,
                                   const tokenizer::Tokenizer& tokenizer, std::string trigger,
                                   bool strip_first_leading_space)
    : grammar_(std::move(grammar)), tokenizer_(tokenizer), trigger_(std::move(trigger)) {
  if (trigger_.empty()) matcher_.emplace(grammar_, strip_first_leading_space);
}

std::string TriggeredMatcher::text_of(TokenId token) const {
  const TokenVocabulary& vocabulary = grammar_->vocabulary();
  if (token >= 0 && token < vocabulary.size() && vocabulary.is_text(token)) {
    return vocabulary.bytes(token);
  }
  // A control token (Mistral's [TOOL_CALLS]) may be the trigger: its text as written.
  return tokenizer_.decode(std::span<const TokenId>(&token, 1), /*render_special=*/true);
}

bool TriggeredMatcher::accept(TokenId token) {
  if (matcher_) return matcher_->accept(token);
  if (grammar_->vocabulary().is_end_of_generation(token)) return true;
  window_ += text_of(token);
  const size_t at = window_.find(trigger_);
  if (at == std::string::npos) {
    // Only a proper prefix of the trigger can still be completed by later tokens.
    if (window_.size() >= trigger_.size()) window_.erase(0, window_.size() - trigger_.size() + 1);
    return true;
  }
  matcher_.emplace(grammar_, false);
  return matcher_->accept_text(std::string_view(window_).substr(at));
}

}  // namespace weft::grammar
