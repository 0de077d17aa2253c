// The GBNF language feature by feature: each grammar's verdicts below follow from what the
// grammar means (worked out by hand), not from running the matcher.
#include <gtest/gtest.h>

#include <string>

#include "grammar/grammar.hpp"
#include "weft/error.hpp"

namespace weft::grammar {
namespace {

struct Verdicts {
  std::vector<std::string> accepted;
  std::vector<std::string> rejected;
};

void expect_gbnf_verdicts(std::string_view gbnf, const Verdicts& verdicts) {
  auto grammar = parse_gbnf(gbnf);
  for (const auto& text : verdicts.accepted) {
    EXPECT_TRUE(matches(*grammar, text)) << "grammar:\n" << gbnf << "\nshould accept: " << text;
  }
  for (const auto& text : verdicts.rejected) {
    EXPECT_FALSE(matches(*grammar, text)) << "grammar:\n" << gbnf << "\nshould reject: " << text;
  }
}

std::string parse_error(std::string_view gbnf, const Limits& limits = {}) {
  try {
    parse_gbnf(gbnf, limits);
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::invalid_request);
    return error.what();
  }
  ADD_FAILURE() << "no error for:\n" << gbnf;
  return {};
}

TEST(GrammarParse, LiteralsAndAlternation) {
  expect_gbnf_verdicts(R"(root ::= "yes" | "no")",
                       {{"yes", "no"}, {"", "y", "yesno", "No", "yes "}});
  expect_gbnf_verdicts(R"(root ::= "a" "b" | "c")", {{"ab", "c"}, {"a", "ac", "abc"}});
  expect_gbnf_verdicts(R"(root ::= "" | "x")", {{"", "x"}, {"xx"}});
}

TEST(GrammarParse, GroupingAndRuleReferences) {
  expect_gbnf_verdicts(
      "root ::= greeting (\" \" name)?\ngreeting ::= \"hi\" | \"hello\"\n"
      "name ::= \"bob\"",
      {{"hi", "hello", "hi bob", "hello bob"}, {"hi ", "bob", "hello  bob"}});
  expect_gbnf_verdicts(R"(root ::= ("a" ("b" | "c")) "d")", {{"abd", "acd"}, {"ad", "abcd"}});
}

TEST(GrammarParse, RepetitionOperators) {
  expect_gbnf_verdicts(R"(root ::= "a"*)", {{"", "a", "aaaa"}, {"b", "ab"}});
  expect_gbnf_verdicts(R"(root ::= "a"+)", {{"a", "aaa"}, {"", "ba"}});
  expect_gbnf_verdicts(R"(root ::= "a"? "b")", {{"b", "ab"}, {"aab", "a"}});
  // A repeated literal repeats as a whole.
  expect_gbnf_verdicts(R"(root ::= "ab"*)", {{"", "ab", "abab"}, {"a", "abb", "aba"}});
  expect_gbnf_verdicts(R"(root ::= "ab"+ "c")", {{"abc", "ababc"}, {"c", "abac"}});
}

TEST(GrammarParse, CountedRepetition) {
  expect_gbnf_verdicts(R"(root ::= [0-9]{3})", {{"123", "000"}, {"12", "1234", ""}});
  expect_gbnf_verdicts(R"(root ::= [0-9]{2,})", {{"12", "12345"}, {"1", ""}});
  expect_gbnf_verdicts(R"(root ::= [0-9]{1,3})", {{"1", "12", "123"}, {"", "1234"}});
  expect_gbnf_verdicts(R"(root ::= "x"{0,2})", {{"", "x", "xx"}, {"xxx"}});
  expect_gbnf_verdicts(R"(root ::= "x"{0})", {{""}, {"x"}});
  expect_gbnf_verdicts(R"(root ::= ("ab" | "c"){ 2 , 3 })",
                       {{"abab", "abc", "cc", "ccab", "abcab"}, {"ab", "c", "cccc", "abcabc"}});
}

TEST(GrammarParse, StringEscapes) {
  expect_gbnf_verdicts(R"(root ::= "\n\r\t\\\"")", {{"\n\r\t\\\""}, {"nrt", "\n\r\t\\"}});
  expect_gbnf_verdicts(R"(root ::= "\x41\u00e9\U0001F600")",
                       {{"A\xC3\xA9\xF0\x9F\x98\x80"}, {"Ae"}});
  expect_gbnf_verdicts(R"(root ::= "\[\]\-")", {{"[]-"}, {}});
  expect_gbnf_verdicts("root ::= \"日本\"", {{"日本"}, {"日", "本日"}});
}

TEST(GrammarParse, CharacterClasses) {
  expect_gbnf_verdicts(R"(root ::= [a-cx])", {{"a", "b", "c", "x"}, {"d", "w", "ab", ""}});
  expect_gbnf_verdicts(R"(root ::= [^a-c\n]+)", {{"d", "xyz", "é", "日本"}, {"a", "xa", "\n", ""}});
  expect_gbnf_verdicts(R"(root ::= [\]\[\-\\])", {{"]", "[", "-", "\\"}, {"a"}});
  expect_gbnf_verdicts(R"(root ::= [a-])", {{"a", "-"}, {"b"}});  // '-' before ']' is literal
  expect_gbnf_verdicts(R"(root ::= [\x30-\x39\u0660-\u0669])", {{"5", "\xD9\xA3"}, {"a"}});
  expect_gbnf_verdicts(R"(root ::= [ぁ-ゖ]+)", {{"ひらがな"}, {"カタカナ", "kana"}});
  expect_gbnf_verdicts(R"(root ::= [])", {{}, {"", "a"}});
}

TEST(GrammarParse, AnyCharacter) {
  expect_gbnf_verdicts(R"(root ::= "<" . ">")",
                       {{"<a>", "<\n>", "<é>", "<\xF0\x9F\x98\x80>"}, {"<>", "<ab>"}});
}

TEST(GrammarParse, CommentsAndNewlines) {
  expect_gbnf_verdicts(R"(# a comment before the rules

root ::= (   # groups may span lines
    "a"
    | "b"   # comment after an alternative
  ) tail # trailing comment
tail ::=
  "!" |
  "?"
)",
                       {{"a!", "b?"}, {"a", "c!"}});
  expect_gbnf_verdicts("root ::= \"a\"\r\nx ::= \"b\"\r\n", {{"a"}, {"b"}});
}

TEST(GrammarParse, RulesMayBeUsedBeforeDefinition) {
  expect_gbnf_verdicts("root ::= later later\nlater ::= [0-9]", {{"12"}, {"1"}});
}

TEST(GrammarParse, ErrorsNameLineAndColumn) {
  EXPECT_EQ(parse_error("root ::= \"a\"\nthing ::= \"b\" other\n"),
            "grammar:2:15: undefined rule 'other'");
  EXPECT_EQ(parse_error("thing ::= \"b\"\n"), "grammar:2:1: the grammar has no 'root' rule");
  EXPECT_EQ(parse_error("root ::= \"abc\n"), "grammar:1:10: unterminated string literal");
  EXPECT_EQ(parse_error("root ::= [abc"), "grammar:1:10: unterminated character class");
  EXPECT_EQ(parse_error("root ::= (\"a\" | \"b\""),
            "grammar:1:20: expecting ')' to close the group opened at 1:10");
  EXPECT_EQ(parse_error("root = \"a\""), "grammar:1:6: expecting '::=' after the rule name");
  EXPECT_EQ(parse_error("root ::= \"\\q\""), "grammar:1:11: unknown escape '\\q'");
  EXPECT_EQ(parse_error("root ::= \"\\x4\""), "grammar:1:14: expecting 2 hex digits");
  EXPECT_EQ(parse_error("root ::= * \"a\""), "grammar:1:10: '*' has no item before it to repeat");
  EXPECT_EQ(parse_error("root ::= \"a\"{3,2}"),
            "grammar:1:17: repetition maximum 2 is below its minimum 3");
  EXPECT_EQ(parse_error("root ::= \"a\"{,2}"), "grammar:1:14: expecting a number");
  EXPECT_EQ(parse_error("root ::= [z-a]"), "grammar:1:11: character range ends before it starts");
  EXPECT_EQ(parse_error("root ::= \"a\"\nroot ::= \"b\""),
            "grammar:2:1: rule 'root' is defined twice");
  EXPECT_EQ(parse_error("root ::= \"a\" )"),
            "grammar:1:14: unexpected ')', expecting a newline or the end");
  // Columns count characters, not bytes.
  EXPECT_EQ(parse_error("root ::= \"日本\" nope"), "grammar:1:15: undefined rule 'nope'");
}

TEST(GrammarParse, LeftRecursionIsRefused) {
  EXPECT_EQ(parse_error("root ::= expr\nexpr ::= expr \"+\" term | term\nterm ::= [0-9]"),
            "grammar:2:1: left recursion: rule 'expr' can reach itself before matching any "
            "character (expr -> expr)");
  // Through a nullable prefix and another rule.
  std::string message =
      parse_error("root ::= a\na ::= opt b\nb ::= a \"x\" | \"y\"\nopt ::= \"\"?");
  EXPECT_NE(message.find("left recursion"), std::string::npos) << message;
  EXPECT_NE(parse_error("root ::= (\"a\"?)*")
                .find("open repetition of an item that can match "
                      "nothing"),
            std::string::npos);
}

TEST(GrammarParse, LimitsAgainstHostileGrammars) {
  Limits small;
  small.max_bytes = 16;
  EXPECT_EQ(parse_error("root ::= \"0123456789\"", small),
            "grammar:1:1: the grammar is 21 bytes, over the limit of 16");

  Limits few_rules;
  few_rules.max_rules = 2;
  EXPECT_EQ(parse_error("root ::= a b\na ::= \"a\"\nb ::= \"b\"", few_rules),
            "grammar:1:12: more than 2 rules");

  Limits shallow;
  shallow.max_nesting = 3;
  EXPECT_NO_THROW(parse_gbnf("root ::= (((\"a\")))", shallow));
  EXPECT_EQ(parse_error("root ::= ((((\"a\"))))", shallow),
            "grammar:1:13: groups nested more than 3 deep");

  EXPECT_NE(parse_error("root ::= \"a\"{100000000}").find("too large"), std::string::npos);
  // Within the count bound, but the expansion is over the element budget.
  EXPECT_NE(parse_error("root ::= [a-z]{0,500000}").find("more than 262144 elements"),
            std::string::npos);
  std::string deep(200, '(');
  EXPECT_NE(parse_error("root ::= " + deep).find("nested more than 64 deep"), std::string::npos);
}

}  // namespace
}  // namespace weft::grammar
