// Compiled grammars for one tokenizer, by GBNF text: a request that repeats a grammar (the
// usual case: one schema per application) reuses its compiled rules and, more valuably, the
// masks its earlier generations already computed. The vocabulary is built on first use.
#pragma once

#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "grammar/token_grammar.hpp"
#include "sync/mutex.hpp"

namespace weft::grammar {

class GrammarCache {
 public:
  // `tokenizer` must outlive the cache.
  explicit GrammarCache(const tokenizer::Tokenizer& tokenizer, size_t capacity = 16);

  // Throws weft::Error(invalid_request) "grammar:LINE:COL: ..." for a bad grammar.
  std::shared_ptr<TokenGrammar> get(std::string_view gbnf);

  std::shared_ptr<const TokenVocabulary> vocabulary();

 private:
  const tokenizer::Tokenizer& tokenizer_;
  size_t capacity_;
  sync::Mutex mutex_;
  std::shared_ptr<const TokenVocabulary> vocabulary_ WEFT_GUARDED_BY(mutex_);
  std::list<std::pair<std::string, std::shared_ptr<TokenGrammar>>> recent_
      WEFT_GUARDED_BY(mutex_);  // most recent first
};

}  // namespace weft::grammar
