// The check that a draft model proposes tokens of its target's vocabulary: the same number of
// tokens, each with the same bytes. Shared by `weft run --draft` (weft::DraftModelSpeculator
// over contexts) and `weft serve --draft` (the scheduler's draft engine).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "tokenizer/tokenizer.hpp"

namespace weft::runtime {

// A token's bytes, or nothing for an id the vocabulary has no token for.
using TokenBytes = std::function<std::optional<std::string>(int32_t)>;

struct VocabularyOf {
  std::string name;  // how the message names the model (its name or its file)
  int64_t size = 0;
  TokenBytes bytes;
};

// Throws weft::Error(invalid_request) naming both models and the first difference.
void require_same_vocabulary(const VocabularyOf& target, const VocabularyOf& draft);

// The same for two tokenizers.
void require_same_vocabulary(const tokenizer::Tokenizer& target, const std::string& target_name,
                             const tokenizer::Tokenizer& draft, const std::string& draft_name);

}  // namespace weft::runtime
