// json_schema_to_gbnf on hand-written schemas, one or more per keyword: the instances each
// accepts and rejects are written out by hand from the JSON Schema specification; `pattern`
// is checked against PCRE2 and integer bounds against arithmetic.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grammar/grammar.hpp"
#include "grammar/json_schema.hpp"
#include "grammar/pcre2_reference.hpp"
#include "weft/error.hpp"

namespace weft::grammar {
namespace {

using nlohmann::ordered_json;

std::shared_ptr<const Grammar> schema_grammar(const std::string& schema) {
  return parse_gbnf(json_schema_to_gbnf(ordered_json::parse(schema)));
}

void expect_schema_verdicts(const std::string& schema, const std::vector<std::string>& accepted,
                            const std::vector<std::string>& rejected) {
  SCOPED_TRACE(schema);
  std::string gbnf = json_schema_to_gbnf(ordered_json::parse(schema));
  auto grammar = parse_gbnf(gbnf);
  for (const auto& text : accepted)
    EXPECT_TRUE(matches(*grammar, text)) << "should accept " << text << "\n" << gbnf;
  for (const auto& text : rejected)
    EXPECT_FALSE(matches(*grammar, text)) << "should reject " << text << "\n" << gbnf;
}

void expect_refused(const std::string& schema, const std::string& message) {
  try {
    json_schema_to_gbnf(ordered_json::parse(schema));
    ADD_FAILURE() << schema << " was converted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::invalid_request);
    EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << error.what();
  }
}

TEST(GrammarJsonSchema, Types) {
  expect_schema_verdicts(R"({"type":"null"})", {"null"}, {"0", "\"null\"", "nul", "false"});
  expect_schema_verdicts(R"({"type":"boolean"})", {"true", "false"}, {"0", "null", "\"true\""});
  expect_schema_verdicts(R"({"type":"integer"})", {"0", "-7", "12345678901234567890"},
                         {"1.5", "01", "+1", "1e3", "\"1\"", "-", "123456789012345678901"});
  expect_schema_verdicts(R"({"type":"number"})", {"0", "-0.5", "1e10", "2.5E-3", "12"},
                         {".5", "1.", "01", "1e", "NaN", "\"1\""});
  expect_schema_verdicts(R"({"type":"string"})",
                         {R"("")", R"("a b")", R"("\"\\\/\b\f\n\r\t\u00e9")", "\"é😀\""},
                         {R"("a)", R"("\x")", "\"a\nb\"", "a", "null"});
  expect_schema_verdicts(R"({"type":"array"})", {"[]", "[1,\"a\",[null]]", "[ 1 , 2 ]"},
                         {"[1,]", "[,1]", "{}", "["});
  expect_schema_verdicts(R"({"type":"object"})", {"{}", R"({"a":1,"b":{"c":[]}})"},
                         {"[]", R"({"a"})", R"({1:2})"});
  expect_schema_verdicts(R"({"type":["string","null"]})", {"null", "\"x\""}, {"1", "true", "{}"});
  expect_schema_verdicts(R"({"type":["integer","number"]})", {"1", "1.5"}, {"\"1\""});
  expect_schema_verdicts(R"({})", {"1", "\"x\"", "null", "[{}]"}, {"", "nul"});
  expect_schema_verdicts("true", {"1", "{}"}, {""});
}

TEST(GrammarJsonSchema, KeywordsOfOneTypeLeaveTheOtherTypesFree) {
  expect_schema_verdicts(R"({"maxLength":1})", {"\"a\"", "12", "[1,2]"}, {"\"ab\""});
  expect_schema_verdicts(R"({"required":["a"]})", {R"({"a":0})", "\"no object\"", "3"}, {"{}"});
}

TEST(GrammarJsonSchema, PropertiesRequiredAndAdditionalProperties) {
  std::string schema =
      R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},
                           "required":["name"],"additionalProperties":false})";
  expect_schema_verdicts(
      schema, {R"({"name":"x"})", R"({"name":"x","age":3})", R"({ "name" : "x" , "age" : 3 })"},
      {"{}", R"({"age":3})", R"({"name":1})", R"({"name":"x","extra":1})", R"({"name":"x",})"});
  // Additional properties by schema, and never under a declared name.
  expect_schema_verdicts(
      R"({"properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"boolean"}})",
      {"{}", R"({"a":1})", R"({"a":1,"b":true})", R"({"b":false,"ab":true})", R"({"":true})"},
      {R"({"b":1})", R"({"a":1,"a":2})", R"({"a":1,"a":true})"});
  // Absent additionalProperties allows any other member.
  expect_schema_verdicts(R"({"properties":{"a":{"type":"integer"}}})",
                         {R"({"a":1,"z":[null]})", R"({"z":{}})"}, {R"({"a":"x"})"});
  // A required name outside `properties` takes the additionalProperties schema.
  expect_schema_verdicts(R"({"required":["k"],"additionalProperties":{"type":"null"}})",
                         {R"({"k":null})"}, {R"({"k":1})", "{}"});
  expect_schema_verdicts(R"({"properties":{"a":false},"required":["b"]})", {R"({"b":1})"},
                         {R"({"b":1,"a":1})"});
}

TEST(GrammarJsonSchema, MembersFollowTheSchemaOrder) {
  std::string schema =
      R"({"type":"object","properties":{"z":{"type":"integer"},"a":{"type":"integer"}},
                           "required":["z","a"],"additionalProperties":false})";
  // ordered_json keeps the order the schema was written in...
  auto ordered = parse_gbnf(json_schema_to_gbnf(ordered_json::parse(schema)));
  EXPECT_TRUE(matches(*ordered, R"({"z":1,"a":2})"));
  EXPECT_FALSE(matches(*ordered, R"({"a":2,"z":1})"));
  // ...nlohmann::json sorts its keys.
  auto sorted = parse_gbnf(json_schema_to_gbnf(nlohmann::json::parse(schema)));
  EXPECT_TRUE(matches(*sorted, R"({"a":2,"z":1})"));
  EXPECT_FALSE(matches(*sorted, R"({"z":1,"a":2})"));
}

TEST(GrammarJsonSchema, EnumAndConst) {
  expect_schema_verdicts(
      R"({"enum":["red",1,null,[1,"a"],{"k":true}]})",
      {"\"red\"", "1", "null", "[1,\"a\"]", "[ 1, \"a\" ]", R"({"k":true})", "{\n  \"k\": true\n}"},
      {"\"blue\"", "2", "[1]", R"({"k":false})", "\"Red\""});
  expect_schema_verdicts(R"({"type":"string","enum":["a",1]})", {"\"a\""}, {"1"});
  expect_schema_verdicts(R"({"const":"x\"y"})", {R"("x\"y")"}, {"\"x\"", "\"xy\""});
  expect_schema_verdicts(R"({"const":{}})", {"{}", "{ }"}, {"[]"});
}

TEST(GrammarJsonSchema, AnyOfOneOfAllOf) {
  expect_schema_verdicts(R"({"anyOf":[{"type":"integer"},{"type":"string","maxLength":1}]})",
                         {"1", "\"a\""}, {"\"ab\"", "null"});
  expect_schema_verdicts(R"({"oneOf":[{"type":"boolean"},{"type":"null"}]})", {"true", "null"},
                         {"0"});
  // Keywords next to anyOf apply to every branch.
  expect_schema_verdicts(
      R"({"type":"object","properties":{"a":{"type":"integer"}},"anyOf":[{"required":["a"]},{"required":["b"]}]})",
      {R"({"a":1})", R"({"b":null})"}, {"{}", R"({"a":"x"})"});
  expect_schema_verdicts(R"({"allOf":[{"properties":{"a":{"type":"integer"}},"required":["a"]},
                                {"properties":{"b":{"type":"string"}},"required":["b"]}]})",
                         {R"({"a":1,"b":"x"})"},
                         {R"({"a":1})", R"({"b":"x"})", R"({"a":"1","b":"x"})"});
  expect_schema_verdicts(
      R"({"allOf":[{"properties":{"a":{"type":"number"}}},{"properties":{"a":{"type":"integer"}}}]})",
      {R"({"a":1})"}, {R"({"a":1.5})"});
  expect_schema_verdicts(R"({"allOf":[{"type":["string","integer"]},{"type":["integer","null"]}]})",
                         {"3"}, {"\"x\"", "null"});
  expect_refused(
      R"({"allOf":[{"properties":{"a":{}},"additionalProperties":false},{"properties":{"b":{}}}]})",
      "cannot merge 'additionalProperties'");
  expect_refused(R"({"allOf":[{"pattern":"a"},{"pattern":"b"}]})",
                 "cannot merge the different values of 'pattern'");
}

TEST(GrammarJsonSchema, LocalReferencesIncludingRecursion) {
  expect_schema_verdicts(
      R"({"$defs":{"id":{"type":"integer"}},"properties":{"a":{"$ref":"#/$defs/id"}},"required":["a"]})",
      {R"({"a":1})"}, {R"({"a":"1"})"});
  expect_schema_verdicts(
      R"({"definitions":{"id":{"type":"string"}},"items":{"$ref":"#/definitions/id"}})",
      {R"(["a","b"])"}, {"[1]"});
  std::string tree = R"({"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer"},
                         "children":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["value"],
                         "additionalProperties":false}},"$ref":"#/$defs/node"})";
  expect_schema_verdicts(
      tree, {R"({"value":1})", R"({"value":1,"children":[{"value":2,"children":[{"value":3}]}]})"},
      {R"({"value":1,"children":[{"value":"x"}]})", R"({"children":[]})"});
  expect_schema_verdicts(R"({"type":["array","integer"],"items":{"$ref":"#"}})",
                         {"1", "[1,[2,[]]]"}, {"[\"a\"]"});
  for (const char* cycle :
       {R"({"$ref":"#"})", R"({"anyOf":[{"$ref":"#"},{"type":"null"}]})",
        R"({"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"})"}) {
    expect_refused(cycle, "without nesting inside an array or object");
  }
  expect_refused(R"({"$ref":"other.json#/a"})", "only local references");
  expect_refused(R"({"$ref":"#/$defs/missing"})", "which is not in the schema");
  expect_refused(R"({"$defs":{"a":{}},"$ref":"#/$defs/a","minimum":1})",
                 "unsupported keyword 'minimum' at / (next to '$ref')");
}

TEST(GrammarJsonSchema, ArraysItemsPrefixItemsAndCounts) {
  expect_schema_verdicts(R"({"items":{"type":"integer"},"minItems":1,"maxItems":3})",
                         {"[1]", "[1,2,3]"}, {"[]", "[1,2,3,4]", "[\"a\"]"});
  expect_schema_verdicts(R"({"prefixItems":[{"type":"string"},{"type":"integer"}],"items":false})",
                         {"[]", "[\"a\"]", "[\"a\",1]"}, {"[1]", "[\"a\",1,2]"});
  expect_schema_verdicts(
      R"({"prefixItems":[{"type":"string"}],"items":{"type":"null"},"minItems":2})",
      {"[\"a\",null]", "[\"a\",null,null]"}, {"[\"a\"]", "[\"a\",1]"});
  // Draft 7: items as an array, then additionalItems.
  expect_schema_verdicts(R"({"items":[{"type":"integer"}],"additionalItems":{"type":"string"}})",
                         {"[1]", "[1,\"a\",\"b\"]"}, {"[\"a\"]", "[1,2]"});
  expect_schema_verdicts(R"({"maxItems":0})", {"[]", "[ ]"}, {"[1]"});
}

TEST(GrammarJsonSchema, StringLengthsCountCodePoints) {
  expect_schema_verdicts(R"({"type":"string","minLength":2,"maxLength":3})",
                         {"\"ab\"", "\"abc\"", "\"é😀\"", R"("\n\u0041")"},
                         {"\"a\"", "\"abcd\"", "\"😀\""});
}

TEST(GrammarJsonSchema, Formats) {
  expect_schema_verdicts(
      R"({"type":"string","format":"date"})",
      {"\"2024-02-29\"", "\"1999-12-31\"", "\"2020-04-30\""},
      {"\"2024-13-01\"", "\"2024-04-31\"", "\"2024-02-30\"", "\"24-01-01\"", "\"2024-1-01\""});
  expect_schema_verdicts(R"({"type":"string","format":"time"})",
                         {"\"23:59:59Z\"", "\"08:30:06.283185+05:30\"", "\"00:00:00z\""},
                         {"\"24:00:00Z\"", "\"12:00:00\"", "\"12:60:00Z\"", "\"12:00:00+24:00\""});
  expect_schema_verdicts(R"({"type":"string","format":"date-time"})",
                         {"\"2024-01-02T03:04:05Z\"", "\"2024-01-02t03:04:05.1-01:00\""},
                         {"\"2024-01-02 03:04:05Z\"", "\"2024-01-02T03:04Z\""});
  expect_schema_verdicts(
      R"({"type":"string","format":"uuid"})", {"\"123e4567-e89b-12d3-a456-426614174000\""},
      {"\"123e4567e89b12d3a456426614174000\"", "\"123e4567-e89b-12d3-a456-42661417400g\""});
  expect_refused(R"({"type":"string","format":"email"})", "unsupported keyword 'format' at /");
}

TEST(GrammarJsonSchema, IntegerBoundsAgreeWithArithmetic) {
  struct Bounds {
    const char* schema;
    long long low, high;  // inclusive; the range checked is [-1200, 1200]
  };
  const long long kNone = 1'000'000;
  for (const Bounds& bounds :
       {Bounds{R"({"minimum":0})", 0, kNone}, Bounds{R"({"maximum":-1})", -kNone, -1},
        Bounds{R"({"minimum":-5,"maximum":120})", -5, 120},
        Bounds{R"({"minimum":7,"maximum":7})", 7, 7},
        Bounds{R"({"minimum":99,"maximum":1001})", 99, 1001},
        Bounds{R"({"exclusiveMinimum":-100,"exclusiveMaximum":10})", -99, 9},
        Bounds{R"({"minimum":-1000,"maximum":-999})", -1000, -999},
        Bounds{R"({"minimum":1.5,"maximum":20.5})", 2, 20},
        Bounds{R"({"minimum":123})", 123, kNone}, Bounds{R"({"maximum":456})", -kNone, 456},
        Bounds{R"({"minimum":-1109,"maximum":-10})", -1109, -10}}) {
    ordered_json schema = ordered_json::parse(bounds.schema);
    schema["type"] = "integer";
    SCOPED_TRACE(schema.dump());
    auto grammar = parse_gbnf(json_schema_to_gbnf(schema));
    for (long long n = -1200; n <= 1200; ++n) {
      ASSERT_EQ(matches(*grammar, std::to_string(n)), bounds.low <= n && n <= bounds.high) << n;
    }
    EXPECT_FALSE(matches(*grammar, "007"));
    EXPECT_FALSE(matches(*grammar, "1.0"));
  }
  auto large = schema_grammar(R"({"type":"integer","minimum":9223372036854775000})");
  EXPECT_TRUE(matches(*large, "9223372036854775807"));
  EXPECT_FALSE(matches(*large, "9223372036854774999"));
  expect_refused(R"({"type":"integer","minimum":5,"maximum":1})", "accepts no value");
}

// Decimal texts -31.999 .. 31.999 with up to three fraction digits, and their value in
// thousandths (negative zero left out: the grammars write zero unsigned).
std::vector<std::pair<std::string, long long>> decimal_texts() {
  std::vector<std::string> fractions = {""};
  for (int digits = 1; digits <= 2; ++digits) {
    for (int n = 0; n < (digits == 1 ? 10 : 100); ++n) {
      std::string text = std::to_string(n);
      fractions.push_back(std::string(static_cast<size_t>(digits) - text.size(), '0') + text);
    }
  }
  for (const char* extra : {"001", "999", "050", "101", "249", "251"}) fractions.push_back(extra);
  std::vector<std::pair<std::string, long long>> texts;
  for (const char* sign : {"", "-"}) {
    for (int integer = 0; integer <= 31; ++integer) {
      for (const auto& fraction : fractions) {
        std::string padded = fraction + std::string(3 - fraction.size(), '0');
        long long thousandths = integer * 1000LL + std::stoll(padded);
        if (*sign == '-' && thousandths == 0) continue;
        std::string text =
            sign + std::to_string(integer) + (fraction.empty() ? "" : "." + fraction);
        texts.emplace_back(text, *sign == '-' ? -thousandths : thousandths);
      }
    }
  }
  return texts;
}

TEST(GrammarJsonSchema, NumberBoundsAgreeWithArithmetic) {
  struct Bounds {
    const char* schema;
    long long low, high;  // thousandths; each inclusive (exclusive bounds written as +-1)
  };
  const long long kNone = 1'000'000'000;
  const auto texts = decimal_texts();
  for (const Bounds& bounds :
       {Bounds{R"({"minimum":1.1})", 1100, kNone}, Bounds{R"({"maximum":-0.25})", -kNone, -250},
        Bounds{R"({"exclusiveMinimum":0,"exclusiveMaximum":1})", 1, 999},
        Bounds{R"({"minimum":-2,"maximum":2.5})", -2000, 2500},
        Bounds{R"({"minimum":0.05,"maximum":0.5})", 50, 500},
        Bounds{R"({"minimum":0.1,"maximum":0.1})", 100, 100},
        Bounds{R"({"exclusiveMaximum":10})", -kNone, 9999},
        Bounds{R"({"exclusiveMinimum":-10.5})", -10499, kNone},
        Bounds{R"({"minimum":1e-2,"maximum":2.5e1})", 10, 25000},
        Bounds{R"({"minimum":-3.75,"exclusiveMaximum":-1.001})", -3750, -1002},
        Bounds{R"({"minimum":3,"exclusiveMinimum":2.5,"maximum":4})", 3000, 4000},
        Bounds{R"({"minimum":0,"maximum":1,"exclusiveMaximum":0.999})", 0, 998}}) {
    ordered_json schema = ordered_json::parse(bounds.schema);
    schema["type"] = "number";
    SCOPED_TRACE(schema.dump());
    std::string gbnf = json_schema_to_gbnf(schema);
    auto grammar = parse_gbnf(gbnf);
    for (const auto& [text, thousandths] : texts) {
      ASSERT_EQ(matches(*grammar, text), bounds.low <= thousandths && thousandths <= bounds.high)
          << text << "\n"
          << gbnf;
    }
    EXPECT_FALSE(matches(*grammar, "01.5"));
    EXPECT_FALSE(matches(*grammar, "2."));
    EXPECT_FALSE(matches(*grammar, "3e0"));  // bounded numbers are written without exponent
  }
  expect_refused(R"({"type":"number","minimum":1,"exclusiveMaximum":1})", "accepts no value");
  expect_refused(R"({"type":"number","minimum":1e30})",
                 "unsupported keyword 'minimum' at / (bounds beyond");
}

TEST(GrammarJsonSchema, PatternsAgreeWithPcre2InsideJsonStrings) {
  const std::vector<std::string> subjects = {"",     "a",   "ab",   "abc", "a\"b", "\\",
                                             "a\nb", "x-1", "2024", "é",   "A1",   "tab\there",
                                             "ab\"", "\"",  "aaa",  "b"};
  for (const char* pattern :
       {"^a", "b$", "^[a-z]+$", "\\d", "^[^\"]*$", "^a.b$", "\\\\", "\"", "^\\w+\\d?$", ""}) {
    SCOPED_TRACE(pattern);
    testing::Pcre2Reference reference(pattern);
    ordered_json schema = {{"type", "string"}, {"pattern", pattern}};
    auto grammar = parse_gbnf(json_schema_to_gbnf(schema));
    for (const auto& subject : subjects) {
      EXPECT_EQ(matches(*grammar, ordered_json(subject).dump()), reference.finds_match_in(subject))
          << subject;
    }
  }
  expect_refused(
      R"js({"properties":{"a":{"pattern":"(?=x)"}}})js",
      "'pattern' at /properties/a/pattern: regex: lookahead '(?=' is not supported at position 0");
}

TEST(GrammarJsonSchema, WhitespaceIsOptionalAndBounded) {
  auto grammar = schema_grammar(R"({"type":"object","properties":{"a":{"type":"array"}}})");
  ordered_json instance = ordered_json::parse(R"({"a":[1,{"b":[true,null]}]})");
  EXPECT_TRUE(matches(*grammar, instance.dump()));
  EXPECT_TRUE(matches(*grammar, instance.dump(2)));
  EXPECT_TRUE(matches(*grammar, instance.dump(1, '\t')));
  std::string spaces(kMaxJsonWhitespace, ' ');
  EXPECT_TRUE(matches(*grammar, "{" + spaces + "\"a\":[]}"));
  EXPECT_FALSE(matches(*grammar, "{" + spaces + " \"a\":[]}"));
  EXPECT_FALSE(matches(*grammar, " {}"));
  EXPECT_FALSE(matches(*grammar, "{} "));
}

TEST(GrammarJsonSchema, FreeFormJsonIsAnyObject) {
  auto grammar = parse_gbnf(free_form_json_gbnf());
  for (const char* text :
       {"{}", R"({"a":[1,2.5e3,"x",null,true,{"b":{}}]})", "{\n  \"k\": \"v\"\n}"}) {
    EXPECT_TRUE(matches(*grammar, text)) << text;
  }
  for (const char* text : {"[]", "\"x\"", "1", "null", "{\"a\":}", "{\"a\":1,}"}) {
    EXPECT_FALSE(matches(*grammar, text)) << text;
  }
}

TEST(GrammarJsonSchema, UnsupportedKeywordsAreNamedWithTheirPointer) {
  expect_refused(R"({"properties":{"a":{"if":{"type":"string"}}}})",
                 "unsupported keyword 'if' at /properties/a");
  expect_refused(R"({"uniqueItems":true})", "unsupported keyword 'uniqueItems' at /");
  expect_refused(R"({"items":{"multipleOf":2}})", "unsupported keyword 'multipleOf' at /items");
  expect_refused(R"({"properties":{"a/b":{"not":{}}}})",
                 "unsupported keyword 'not' at /properties/a~1b");
  expect_refused(R"({"patternProperties":{"x":{}}})",
                 "unsupported keyword 'patternProperties' at /");
  expect_refused(R"({"type":"string","pattern":"a","maxLength":3})",
                 "only one of pattern, format and minLength/maxLength");
  expect_refused(R"({"type":"strin"})", "invalid 'type' at /type");
  expect_refused(R"({"minLength":-1})", "'minLength' must be a non-negative integer at /");
  expect_refused("false", "accepts no value");
  expect_refused("[]", "a schema must be an object or a boolean at /");
  // Annotations are fine.
  EXPECT_NO_THROW(json_schema_to_gbnf(ordered_json::parse(
      R"({"title":"t","description":"d","$comment":"c","examples":[1],"default":1,"type":"integer"})")));
}

TEST(GrammarJsonSchema, HostileSchemasAreRefusedNotRecursedInto) {
  std::string deep = "true";
  for (size_t i = 0; i <= kMaxSchemaNesting; ++i) deep = R"({"items":)" + deep + "}";
  expect_refused(deep, "nested deeper than");
  std::string deep_value = "1";
  for (size_t i = 0; i <= kMaxSchemaNesting + 1; ++i) deep_value = "[" + deep_value + "]";
  expect_refused(R"({"const":)" + deep_value + "}", "an enum or const value nested deeper than");
  expect_refused(R"({"maxLength":100000000})",
                 "unsupported keyword 'maxLength' at / (counts above");
  expect_refused(R"({"$defs":{"a":{"allOf":[{"$ref":"#/$defs/a"}]}},"$ref":"#/$defs/a"})",
                 "nested too deeply");
}

}  // namespace
}  // namespace weft::grammar
