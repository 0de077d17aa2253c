#include "grammar/grammar_cache.hpp"

#include <algorithm>

#include "sync/mutex.hpp"

namespace weft::grammar {

GrammarCache::GrammarCache(const tokenizer::Tokenizer& tokenizer, size_t capacity)
    : tokenizer_(tokenizer), capacity_(std::max<size_t>(capacity, 1)) {}

std::shared_ptr<const TokenVocabulary> GrammarCache::vocabulary() {
  sync::MutexLock lock(mutex_);
  if (!vocabulary_) vocabulary_ = std::make_shared<const TokenVocabulary>(tokenizer_);
  return vocabulary_;
}

std::shared_ptr<TokenGrammar> GrammarCache::get(std::string_view gbnf) {
  {
    sync::MutexLock lock(mutex_);
    for (auto it = recent_.begin(); it != recent_.end(); ++it) {
      if (it->first == gbnf) {
        recent_.splice(recent_.begin(), recent_, it);
        return recent_.front().second;
      }
    }
  }
  // Parsed outside the lock: a large grammar must not hold up the other requests.
  auto compiled = std::make_shared<TokenGrammar>(parse_gbnf(gbnf, kGenerationLimits), vocabulary());
  sync::MutexLock lock(mutex_);
  recent_.emplace_front(std::string(gbnf), compiled);
  if (recent_.size() > capacity_) recent_.pop_back();
  return compiled;
}

}  // namespace weft::grammar
