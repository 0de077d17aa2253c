// Realistic grammars written for these tests, with strings whose verdicts follow from what
// each grammar describes; and the byte-level matcher's handling of split UTF-8.
#include <gtest/gtest.h>

#include <string>

#include "grammar/grammar.hpp"
#include "grammar/parse_state.hpp"

namespace weft::grammar {
namespace {

void expect_matcher_verdicts(std::string_view gbnf, const std::vector<std::string>& accepted,
                             const std::vector<std::string>& rejected) {
  auto grammar = parse_gbnf(gbnf);
  for (const auto& text : accepted) EXPECT_TRUE(matches(*grammar, text)) << "accept: " << text;
  for (const auto& text : rejected) EXPECT_FALSE(matches(*grammar, text)) << "reject: " << text;
}

constexpr std::string_view kArithmetic = R"g(
root   ::= expr
expr   ::= term (("+" | "-") term)*
term   ::= factor (("*" | "/") factor)*
factor ::= number | "(" expr ")" | "-" factor
number ::= [0-9]+ ("." [0-9]+)?
)g";

TEST(GrammarRealistic, Arithmetic) {
  expect_matcher_verdicts(kArithmetic, {"1", "1+2*3", "(1+2)*3", "-(4.5/2)-1", "((((7))))", "2*-3"},
                          {"", "1+", "(1+2", "1..2", "1 + 2", "()", "+1", "1)"});
}

// A JSON grammar written for weft (whitespace limited to keep the language simple).
constexpr std::string_view kJsonGbnf = R"(
root   ::= ws value ws
value  ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ws ( member ( ws "," ws member )* )? ws "}"
member ::= string ws ":" ws value
array  ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
string ::= "\"" ( [^"\\\x00-\x1f] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\""
number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
ws     ::= [ \t\n]*
)";

TEST(GrammarRealistic, Json) {
  expect_matcher_verdicts(
      kJsonGbnf,
      {"{}", "[]", "0", "-0.5e+10", "\"\"", "\"a\\u00e9\\n\"", "true",
       R"({"a": [1, 2, {"b": null}], "c": "日本"})", " [ true ,false ] ", "{\n  \"k\": -12.5E3\n}"},
      {"", "{", "[1,]", "{\"a\"}", "01", "1.", "\"\\x\"", "\"a\nb\"", "tru", "{\"a\":1,}", "[1 2]",
       "\"\\u12\""});
}

TEST(GrammarRealistic, CommaSeparatedList) {
  expect_matcher_verdicts(R"(root ::= item ("," " "? item)*
item ::= [a-z]+)",
                          {"a", "apple,pear", "a, b,c"}, {"", ",a", "a,", "a,,b", "a,  b", "A"});
}

TEST(GrammarRealistic, ChessMoves) {
  constexpr std::string_view kChess = R"(
root   ::= "1. " move " " move "\n" ([1-9] [0-9]? ". " move " " move "\n")*
move   ::= (pawn | nonpawn | castle) [+#]?
pawn   ::= ([a-h] "x")? [a-h] [1-8] ("=" [NBRQ])?
nonpawn ::= [NBKQR] [a-h]? [1-8]? "x"? [a-h] [1-8]
castle ::= "O-O" "-O"?
)";
  expect_matcher_verdicts(
      kChess, {"1. e4 e5\n", "1. e4 e5\n2. Nf3 Nc6\n", "1. d4 O-O-O+\n12. exd8=Q# Kxd8\n"},
      {"1. e4\n", "1. e9 e5\n", "1. e4 e5", "1. Zf3 e5\n", "1. e4 e5\n0. d4 d5\n"});
}

TEST(GrammarRealistic, CIdentifiers) {
  expect_matcher_verdicts(R"(root ::= [a-zA-Z_] [a-zA-Z0-9_]*)",
                          {"x", "_tmp", "camelCase9", "__a__"},
                          {"", "9lives", "has-dash", "a b", "é"});
}

TEST(GrammarRealistic, JapaneseAndUnicodeClasses) {
  constexpr std::string_view kJapanese = R"(
root ::= word ("、" word)* "。"
word ::= ([ぁ-ゖ] | [ァ-ヺー] | [一-龯])+
)";
  expect_matcher_verdicts(kJapanese, {"ねこ。", "東京、カタカナ、ひらがな。", "ラーメン。"},
                          {"ねこ", "。", "neko。", "ねこ、。", "ねこ.", "😀。"});
  expect_matcher_verdicts(R"(root ::= [\U0001F600-\U0001F64F]+)", {"😀", "😀🙏"}, {"✨", "😀a"});
}

TEST(GrammarMatcher, UTF8SplitAcrossFeeds) {
  auto grammar = parse_gbnf(R"(root ::= "é" [一-龯])");
  ParseState state = initial_state(*grammar);
  const std::string text = "é東";  // C3 A9 E6 9D B1
  for (size_t i = 0; i < text.size(); ++i) {
    state = advance_byte(*grammar, state, static_cast<uint8_t>(text[i]));
    ASSERT_FALSE(state.dead()) << "byte " << i;
    EXPECT_EQ(state.can_end(), i + 1 == text.size()) << "byte " << i;
  }
}

TEST(GrammarMatcher, PartialSequenceThatCannotMatchIsDeadAtOnce) {
  auto grammar = parse_gbnf(R"(root ::= [a-z] | [ぁ-ゖ])");
  ParseState start = initial_state(*grammar);
  // 0xE3 0x81 starts U+3040..U+307F (hiragana): viable. 0xE4 starts U+4000..U+4FFF: not.
  EXPECT_FALSE(advance_bytes(*grammar, start, "\xE3\x81").dead());
  EXPECT_TRUE(advance_bytes(*grammar, start, "\xE4").dead());
  EXPECT_TRUE(advance_bytes(*grammar, start, "\xC3").dead());  // U+00C0..U+00FF
}

TEST(GrammarMatcher, PartialSequenceThatCanOnlyBecomeInvalidIsDeadAtOnce) {
  auto grammar = parse_gbnf(R"(root ::= .*)");
  ParseState start = initial_state(*grammar);
  EXPECT_TRUE(advance_bytes(*grammar, start, "\xC1").dead());      // overlong only
  EXPECT_TRUE(advance_bytes(*grammar, start, "\xE0\x80").dead());  // overlong only
  EXPECT_TRUE(advance_bytes(*grammar, start, "\xED\xA0").dead());  // surrogates only
  EXPECT_TRUE(advance_bytes(*grammar, start, "\xF4\x90").dead());  // past U+10FFFF
  EXPECT_TRUE(advance_bytes(*grammar, start, "\xF5").dead());
  EXPECT_FALSE(advance_bytes(*grammar, start, "\xE0\xA0").dead());  // U+0800 and up
  EXPECT_FALSE(advance_bytes(*grammar, start, "\xED\x9F").dead());  // U+D7C0..U+D7FF
  // A class of ASCII only cannot be reached by any multi-byte sequence.
  auto ascii = parse_gbnf(R"(root ::= [{}a-z]+)");
  EXPECT_TRUE(advance_bytes(*ascii, initial_state(*ascii), "\xC1").dead());
}

TEST(GrammarMatcher, InvalidUtf8IsRejected) {
  auto grammar = parse_gbnf(R"(root ::= .*)");
  EXPECT_TRUE(matches(*grammar, "héllo"));
  EXPECT_FALSE(matches(*grammar, "\xFF"));
  EXPECT_FALSE(matches(*grammar, "\xC3"));          // incomplete at the end
  EXPECT_FALSE(matches(*grammar, "\xC0\x80"));      // overlong NUL
  EXPECT_FALSE(matches(*grammar, "\xED\xA0\x80"));  // a surrogate
  EXPECT_FALSE(matches(*grammar, "\x80"));          // a lone continuation byte
}

TEST(GrammarMatcher, CompleteSentenceMayStillGrow) {
  auto grammar = parse_gbnf(R"(root ::= "a" "b"?)");
  ParseState state = advance_bytes(*grammar, initial_state(*grammar), "a");
  EXPECT_TRUE(state.can_end());
  state = advance_byte(*grammar, state, 'b');
  EXPECT_TRUE(state.can_end());
  EXPECT_TRUE(advance_byte(*grammar, state, 'b').dead());
}

TEST(GrammarMatcher, DeepNestingStaysWithinBounds) {
  auto grammar = parse_gbnf(R"g(root ::= "(" root ")" | "x")g");
  std::string nested = std::string(2000, '(') + "x" + std::string(2000, ')');
  EXPECT_TRUE(matches(*grammar, nested));
  EXPECT_FALSE(matches(*grammar, nested + ")"));
  // Long right-recursive repetition does not grow the stacks.
  auto star = parse_gbnf(R"(root ::= [a-z]*)");
  ParseState state = advance_bytes(*star, initial_state(*star), std::string(10000, 'q'));
  ASSERT_FALSE(state.dead());
  for (const Stack& stack : state.stacks) EXPECT_LE(stack.size(), 2u);
}

}  // namespace
}  // namespace weft::grammar
