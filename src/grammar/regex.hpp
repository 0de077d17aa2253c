// Regular expressions (the ECMAScript subset JSON Schema's `pattern` uses) turned into GBNF.
//
// Supported: literals and escapes (\t \n \v \f \r \0 \cX \xHH \uHHHH \u{H..} and escaped
// syntax characters), `.`, classes `[...]` with ranges and negation, \d \w \s \D \W \S,
// groups `(...)`, `(?:...)`, `(?<name>...)`, alternation, the quantifiers * + ? {m} {m,} {m,n}
// (lazy forms accepted: laziness changes which match is found, not whether one is), and the
// anchors ^ and $ at the start and end of the pattern or of a top-level alternative.
// Refused with weft::Error naming the construct and its position (in code points, from 0):
// lookaround, backreferences, \b \B, \p{...}, anchors elsewhere, empty classes, counts
// above kMaxRegexRepeat.
//
// As in JSON Schema, a pattern need not match the whole string: an unanchored side stands for
// "anything may come before/after" (`^a` means "starts with a", `a` means "contains a").
// Matching is on code points, as ECMAScript's `u` flag does; `.` excludes the line
// terminators \n \r U+2028 U+2029 as ECMAScript does.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "grammar/gbnf_writer.hpp"

namespace weft::grammar {

inline constexpr size_t kMaxRegexLength = 4096;  // code points in a pattern
inline constexpr size_t kMaxRegexRepeat = 1000;  // bound of {m,n}
inline constexpr size_t kMaxRegexNesting = 64;   // groups inside groups
inline constexpr size_t kMaxRegexGrammarBytes = 256 * 1024;

// A whole grammar whose `root` accepts exactly the strings in which `pattern` finds a match.
std::string regex_to_gbnf(std::string_view pattern);
// A whole grammar whose `root` accepts exactly the strings that `pattern` matches from end to
// end (`--regex`, Constraint::regex), the pattern's own ^ and $ folded into those anchors.
std::string whole_text_regex_to_gbnf(std::string_view pattern);

// How the code points a pattern matches are spelled in the text the grammar reads.
enum class RegexSpelling {
  text,         // as themselves
  json_string,  // inside a JSON string literal: " \ and controls escaped (\n or \u000a ...)
};

// Adds the rules for `pattern` to `rules` and returns the name of the rule that matches the
// strings containing a match (the content only: for json_string, without the quotes).
std::string add_regex_rules(gbnf::RuleSet& rules, std::string_view pattern, RegexSpelling spelling,
                            std::string_view name_hint);

}  // namespace weft::grammar
