// response_format / format → the grammar the output must match, checked with the GBNF
// engine itself (grammar::matches) on texts that must and must not match.
#include "http/output_format.hpp"

#include <gtest/gtest.h>

#include "grammar/grammar.hpp"
#include "grammar/json_schema.hpp"
#include "http/api_error.hpp"

namespace weft::http {
namespace {

bool grammar_accepts(const std::string& gbnf, const std::string& text) {
  return grammar::matches(*grammar::parse_gbnf(gbnf), text);
}

TEST(HttpOutputFormat, TextLeavesTheOptionsAlone) {
  GenerationOptions options;
  apply_output_format({}, "response_format", options);
  EXPECT_TRUE(options.grammar.empty());
}

TEST(HttpOutputFormat, JsonObjectIsTheFreeFormJsonGrammar) {
  GenerationOptions options;
  apply_output_format({OutputFormat::Kind::json_object, {}}, "response_format", options);
  EXPECT_EQ(options.grammar, grammar::free_form_json_gbnf());
  EXPECT_TRUE(grammar_accepts(options.grammar, R"({"a": [1, true, null]})"));
  EXPECT_FALSE(grammar_accepts(options.grammar, "hello"));
}

TEST(HttpOutputFormat, ASchemaKeepsThePropertyOrderTheClientWrote) {
  const std::string body = R"({"format": {"type": "object",
    "properties": {"zeta": {"type": "integer"}, "alpha": {"type": "string"}},
    "required": ["zeta", "alpha"], "additionalProperties": false}})";
  OutputFormat format{OutputFormat::Kind::json_schema, {}};
  read_schema_in_order(format, body, "/format");
  GenerationOptions options;
  apply_output_format(format, "format", options);
  EXPECT_TRUE(grammar_accepts(options.grammar, R"({"zeta": 1, "alpha": "x"})"));
  EXPECT_FALSE(grammar_accepts(options.grammar, R"({"alpha": "x", "zeta": 1})"))
      << "members come in the schema's order, not sorted";
  EXPECT_FALSE(grammar_accepts(options.grammar, R"({"zeta": "one", "alpha": "x"})"));
}

TEST(HttpOutputFormat, ASchemaTheConverterCannotExpressIs400NamingTheField) {
  OutputFormat format{OutputFormat::Kind::json_schema,
                      nlohmann::ordered_json::parse(R"({"type": "object", "if": {}})")};
  GenerationOptions options;
  try {
    apply_output_format(format, "response_format", options);
    FAIL() << "expected a 400";
  } catch (const ApiException& error) {
    EXPECT_EQ(error.error().status, 400);
    EXPECT_EQ(error.error().param, "response_format");
  }
}

}  // namespace
}  // namespace weft::http
