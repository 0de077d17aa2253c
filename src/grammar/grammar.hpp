// GBNF grammars (the language of llama.cpp's grammars/README.md): parsed, validated and
// compiled once, then shared read-only by every matcher that walks them. This layer knows
// nothing of models or tokenizers; token masks live in grammar/token_matcher.hpp.
//
//   auto grammar = grammar::parse_gbnf(R"(root ::= "yes" | "no")");
//   grammar::matches(*grammar, "yes");  // true
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace weft::grammar {

// Bounds that keep a hostile grammar from costing unbounded time or memory. inferd's wire
// spec caps the `grammar` field at 64 KB.
struct Limits {
  size_t max_bytes = 64 * 1024;
  size_t max_rules = 4096;
  size_t max_nesting = 64;        // parenthesised groups inside each other
  size_t max_elements = 1 << 18;  // symbols over all rules after expanding {m,n}
};

class Grammar;  // defined in grammar/grammar_rules.hpp

// Parses GBNF text whose start rule is `root`. Throws weft::Error(invalid_request) with a
// message "grammar:LINE:COL: what is wrong" for syntax errors, undefined or missing rules,
// and limits exceeded.
std::shared_ptr<const Grammar> parse_gbnf(std::string_view text, const Limits& limits = {});

// Whether the whole of `text` (bytes, UTF-8 decoded as the grammar's character classes ask)
// is a sentence of the grammar. For tests, `weft grammar check` and converters' self-checks.
bool matches(const Grammar& grammar, std::string_view text);

}  // namespace weft::grammar
