// The parser's draft of a grammar (rules as lists of symbol sequences) and the whole-grammar
// checks that need every rule first: which rules can match nothing, left recursion (which
// would send a matcher into an endless expansion), and the final flattening.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/grammar_rules.hpp"

namespace weft::grammar {

using Sequence = std::vector<Element>;  // chars and rule elements only

struct DraftRule {
  std::string name;
  std::vector<Sequence> alternatives;
  bool defined = false;
  size_t offset = 0;  // the definition, or the first use while undefined
};

// nullable[i]: rule i can match the empty string.
std::vector<bool> nullable_rules(const std::vector<DraftRule>& rules);
bool sequence_nullable(const Sequence& sequence, const std::vector<bool>& nullable);

// Throws "grammar:LINE:COL: left recursion: a -> b -> a ..." when some rule can reach itself
// without reading a character.
void check_left_recursion(const std::vector<DraftRule>& rules, const std::vector<bool>& nullable,
                          std::string_view text);

std::shared_ptr<const Grammar> flatten(const std::vector<DraftRule>& rules,
                                       std::vector<CharClass> classes, uint32_t root);

}  // namespace weft::grammar
