// regex_to_gbnf against PCRE2: for each pattern, the grammar accepts exactly the strings in
// which PCRE2 finds a match, over every short string from a small alphabet and many random
// longer ones. And the unsupported constructs fail with their position.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "grammar/grammar.hpp"
#include "grammar/pcre2_reference.hpp"
#include "grammar/regex.hpp"
#include "weft/error.hpp"

namespace weft::grammar {
namespace {

using testing::Pcre2Reference;

// Symbols the generated strings are made of: ASCII letters, digits and punctuation the
// patterns use, whitespace ECMAScript and PCRE2 agree on, and 2-, 3- and 4-byte UTF-8.
const std::vector<std::string> kAlphabet = {"a",  "b", "c", "d",  "0",  "5", "_", " ", "\t", "\n",
                                            "\r", "-", ".", "\\", "\"", "]", "{", "é", "€",  "😀"};

void extend_all(std::vector<std::string>& strings, const std::vector<std::string>& symbols,
                int max_length) {
  size_t level_start = 0;
  for (int length = 1; length <= max_length; ++length) {
    size_t level_end = strings.size();
    for (size_t i = level_start; i < level_end; ++i) {
      for (const auto& symbol : symbols) strings.push_back(strings[i] + symbol);
    }
    level_start = level_end;
  }
}

// Every string of up to two symbols from kAlphabet plus NUL and backspace; every string of
// up to four of the pattern's own characters (so that its literals occur); random ones.
std::vector<std::string> test_strings(const std::string& pattern) {
  std::vector<std::string> strings = {""};
  std::vector<std::string> alphabet = kAlphabet;
  alphabet.push_back(std::string(1, '\0'));
  alphabet.push_back("\b");
  extend_all(strings, alphabet, 2);
  std::vector<std::string> own;
  for (char32_t code_point : gbnf::decode_utf8(pattern, "test pattern")) {
    std::string symbol = gbnf::encode_utf8(code_point);
    if (std::find(own.begin(), own.end(), symbol) == own.end()) own.push_back(symbol);
  }
  std::vector<std::string> from_pattern = {""};
  extend_all(from_pattern, own, own.size() <= 8 ? 4 : 3);
  strings.insert(strings.end(), from_pattern.begin(), from_pattern.end());
  std::mt19937 random(static_cast<unsigned>(std::hash<std::string>{}(pattern)));
  std::uniform_int_distribution<size_t> length(3, 10);
  for (int n = 0; n < 600; ++n) {
    const auto& symbols = n % 2 == 0 || own.empty() ? alphabet : own;
    std::uniform_int_distribution<size_t> pick(0, symbols.size() - 1);
    std::string text;
    size_t size = length(random);
    for (size_t i = 0; i < size; ++i) text += symbols[pick(random)];
    strings.push_back(text);
  }
  return strings;
}

class RegexAgainstPcre2 : public ::testing::TestWithParam<const char*> {};

TEST_P(RegexAgainstPcre2, AcceptsExactlyTheStringsPcre2FindsAMatchIn) {
  std::string pattern = GetParam();
  Pcre2Reference reference(pattern);
  std::string gbnf = regex_to_gbnf(pattern);
  auto grammar = parse_gbnf(gbnf);
  size_t disagreements = 0, matched = 0, unmatched = 0;
  for (const auto& text : test_strings(pattern)) {
    bool expected = reference.finds_match_in(text);
    ++(expected ? matched : unmatched);
    if (matches(*grammar, text) != expected && ++disagreements <= 5) {
      ADD_FAILURE() << "pattern /" << pattern << "/ on \"" << text << "\": PCRE2 says "
                    << (expected ? "match" : "no match") << "\n"
                    << gbnf;
    }
  }
  EXPECT_EQ(disagreements, 0u);
  // Both verdicts occur, so the strings exercise the pattern (the patterns that match every
  // string excepted).
  EXPECT_GT(matched, 0u) << pattern;
  if (pattern != "" && pattern != "^" && pattern != "$") {
    EXPECT_GT(unmatched, 0u) << pattern;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Patterns, RegexAgainstPcre2,
    ::testing::Values("abc", "^abc$", "^a*$", "a+", "b", "^(ab|cd)+$", "^[a-c]{2,3}$",
                      "^\\d+(\\.\\d{1,2})?$", "[^a]", "^[^a-c0-9]*$", "^\\w+$", "\\W", "^\\s*$",
                      "\\S", "^\\D*$", "^a?b?$", "^(a|b|)$", "^(?:a|bc)*$", "a|^b|c$", "^$", "",
                      "^", "$", "^a{3}$", "^a{2,}$", "^(a{1,2}b){1,2}$", "x*?y", "^a+?$",
                      "^[\\-a]$", "^[a\\]]+$", "^\\u0061\\x62$", "^.$", "^..?$", "é", "^[é€]+$",
                      "^😀$", "^[^😀]$", "^\\\\", "\\.", "^\"", "^[\\d\\s]+$", "^\\t\\n?$", "^a{0}b$",
                      "^(a)(b)?$", "^(?<name>ab)$", "^a{$", "^[.]$", "c{2,3}?$", "^[a-]+$",
                      "^[\\w-]{2}$", "^(?:(?:a|b)c?)+d$", "a{1}b{0,1}", "^[^\\s]+$", "^[\\S]$",
                      "^\\cJ$", "\\0", "^\\/$", "^[\\b]$", "d$",
                      // Repetitions of parts that can match nothing.
                      "^(a?)*$", "^(a*b?)+c$", "^(?:a?b?){2,3}$", "^(a|)+$", "^(()|b)*a$",
                      "^(a?(b|)){0,2}c*$", "^(a{0}b?)*$"));

struct Refused {
  const char* pattern;
  const char* message;
};

class RegexRefuses : public ::testing::TestWithParam<Refused> {};

TEST_P(RegexRefuses, WithTheConstructAndItsPosition) {
  try {
    regex_to_gbnf(GetParam().pattern);
    ADD_FAILURE() << GetParam().pattern << " was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(GetParam().message), std::string::npos)
        << error.what();
    EXPECT_EQ(error.code(), ErrorCode::invalid_request);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Constructs, RegexRefuses,
    ::testing::Values(
        Refused{"a(?=b)", "lookahead '(?=' is not supported at position 1"},
        Refused{"a(?!b)", "lookahead '(?!' is not supported at position 1"},
        Refused{"(?<=a)b", "lookbehind is not supported at position 0"},
        Refused{"(?<!a)b", "lookbehind is not supported at position 0"},
        Refused{"(a)\\1", "backreferences are not supported at position 3"},
        Refused{"(?<x>a)\\k<x>", "named backreferences are not supported at position 7"},
        Refused{"a\\bc", "word-boundary assertion '\\b' is not supported at position 1"},
        Refused{"a^b", "anchor '^' at position 1"}, Refused{"(^a)", "anchor '^' at position 1"},
        Refused{"a$b", "anchor '$' at position 1"},
        Refused{"\\p{L}", "Unicode property escapes are not supported at position 0"},
        Refused{"[a", "an unterminated character class at position 0"},
        Refused{"(a", "an unterminated group at position 0"},
        Refused{"a)", "unbalanced ')' at position 1"},
        Refused{"*a", "nothing to repeat at position 0"}, Refused{"a{2,1}", "n < m at position 1"},
        Refused{"a{1001}", "a repeat count above 1000 at position 1"},
        Refused{"[z-a]", "a range out of order at position 1"},
        Refused{"[^\\s\\S]", "a character class that matches nothing"},
        Refused{"\\q", "an unknown escape '\\q' at position 0"},
        Refused{"^*", "a quantifier on an anchor at position 1"},
        Refused{"a?*", "nothing to repeat at position 2"},
        Refused{"a{2}+", "nothing to repeat at position 4"},
        Refused{"\\x4", "a malformed hexadecimal escape at position 0"},
        Refused{"a\\", "a trailing backslash at position 1"},
        Refused{"\xff", "invalid UTF-8 at byte 0"}));

TEST(GrammarRegex, LongPatternsAndDeepNestingAreRefusedNotRecursedInto) {
  EXPECT_THROW(regex_to_gbnf(std::string(kMaxRegexLength + 1, 'a')), Error);
  std::string deep =
      std::string(kMaxRegexNesting + 1, '(') + "a" + std::string(kMaxRegexNesting + 1, ')');
  EXPECT_THROW(regex_to_gbnf(deep), Error);
  std::string nested =
      std::string(kMaxRegexNesting, '(') + "a" + std::string(kMaxRegexNesting, ')');
  EXPECT_NO_THROW(parse_gbnf(regex_to_gbnf(nested)));
}

TEST(GrammarRegex, BraceUnicodeEscapesAndSurrogatePairsNameOneCodePoint) {
  auto braces = parse_gbnf(regex_to_gbnf("^\\u{1F600}$"));
  EXPECT_TRUE(matches(*braces, "😀"));
  EXPECT_FALSE(matches(*braces, "😀😀"));
  auto pair = parse_gbnf(regex_to_gbnf("^\\uD83D\\uDE00$"));
  EXPECT_TRUE(matches(*pair, "😀"));
}

TEST(GrammarRegex, EmbeddedInJsonStringsEscapesWhatJsonMustEscape) {
  gbnf::RuleSet rules(1 << 16);
  std::string content = add_regex_rules(rules, "^a[\"\\\\\\n]$", RegexSpelling::json_string, "p");
  auto grammar = parse_gbnf(rules.render(content));
  EXPECT_TRUE(matches(*grammar, "a\\\""));  // a"
  EXPECT_TRUE(matches(*grammar, "a\\\\"));  // a backslash
  EXPECT_TRUE(matches(*grammar, "a\\n"));   // a newline, as a JSON writer spells it
  EXPECT_TRUE(matches(*grammar, "a\\u000A"));
  EXPECT_FALSE(matches(*grammar, "a\""));  // a bare quote would end the JSON string
  EXPECT_FALSE(matches(*grammar, "a\n"));  // a raw newline is not allowed in JSON
  EXPECT_FALSE(matches(*grammar, "ab"));
}

}  // namespace
}  // namespace weft::grammar
