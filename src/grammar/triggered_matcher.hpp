// A grammar that applies from a trigger text on (llama.cpp calls these lazy grammars): the
// output is free until the trigger appears in it, and from the trigger's first byte on it
// must be a sentence of the grammar. Strict tools under tool_choice "auto": the model may
// answer in text, but once it opens a tool call ("<tool_call>"), the call must be valid.
//
//   TriggeredMatcher matcher(compiled, tokenizer, "<tool_call>");
//   if (matcher.active()) apply(matcher.mask());   // before the trigger: no mask
//   matcher.accept(sampled);                        // may complete the trigger
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "grammar/token_matcher.hpp"

namespace weft::grammar {

class TriggeredMatcher {
 public:
  // `trigger` empty: the grammar applies from the first token (as a plain TokenMatcher, with
  // `strip_first_leading_space`). `tokenizer` must outlive the matcher.
  TriggeredMatcher(std::shared_ptr<TokenGrammar> grammar, const tokenizer::Tokenizer& tokenizer,
                   std::string trigger, bool strip_first_leading_space = false);

  bool active() const { return matcher_.has_value(); }
  // The allowed next tokens; only while active.
  std::shared_ptr<const TokenMask> mask() { return matcher_->mask(); }
  // Active: TokenMatcher::accept. Before the trigger: true, unless the token completes the
  // trigger and what follows the trigger in the output so far does not fit the grammar.
  bool accept(TokenId token);

 private:
  std::string text_of(TokenId token) const;

  std::shared_ptr<TokenGrammar> grammar_;
  const tokenizer::Tokenizer& tokenizer_;
  std::string trigger_;
  std::string window_;  // the output's last bytes, where the trigger may be completing
  std::optional<TokenMatcher> matcher_;
};

}  // namespace weft::grammar
