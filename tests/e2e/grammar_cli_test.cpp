// The grammar command line: `weft grammar check`, `weft grammar from-schema`, and `weft run`
// constrained by --grammar, --regex and --json-schema on the bundled model.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "grammar/grammar.hpp"
#include "support/bundled_model.hpp"
#include "support/daemon_process.hpp"

namespace weft::testing {
namespace {

CommandResult constrained_run(std::vector<std::string> constraint, const std::string& seed) {
  std::vector<std::string> args = {"run",
                                   "--backend",
                                   "native",
                                   "--model",
                                   test::bundled_model_file(),
                                   "--ctx",
                                   "512",
                                   "-t",
                                   "1",
                                   "--raw",
                                   "-n",
                                   "500",
                                   "--temperature",
                                   "1",
                                   "--seed",
                                   seed};
  args.insert(args.end(), constraint.begin(), constraint.end());
  args.push_back("Once upon a time");
  return run_weft(args);
}

std::string without_final_newline(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

TEST(GrammarCli, CheckReportsValidGrammars) {
  TempDir dir;
  auto path = dir.write_file("ok.gbnf", "root ::= \"yes\" | \"no\"\n");
  auto result = run_weft({"grammar", "check", path});
  EXPECT_EQ(result.status, 0) << result.errors;
  EXPECT_NE(result.output.find("valid GBNF"), std::string::npos) << result.output;
}

TEST(GrammarCli, CheckPrintsTheErrorWithLineAndColumn) {
  TempDir dir;
  auto path = dir.write_file("bad.gbnf", "root ::= item+\n\nitem ::= \"a\" | undefined-rule\n");
  auto result = run_weft({"grammar", "check", path});
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.errors, path + ":3:16: undefined rule 'undefined-rule'\n");
}

TEST(GrammarCli, RunWithAGrammarFileFollowsIt) {
  TempDir dir;
  const std::string gbnf = "root ::= [A-Z] [a-z]{2,8} (\", \" [a-z]{1,8}){1,3} \".\"\n";
  auto path = dir.write_file("list.gbnf", gbnf);
  auto grammar = grammar::parse_gbnf(gbnf);
  for (const char* seed : {"1", "2", "3"}) {
    auto result = constrained_run({"--grammar", path}, seed);
    ASSERT_EQ(result.status, 0) << result.errors;
    auto text = without_final_newline(result.output);
    EXPECT_TRUE(grammar::matches(*grammar, text)) << text;
  }
}

TEST(GrammarCli, RunWithABadGrammarFailsBeforeLoading) {
  TempDir dir;
  auto path = dir.write_file("bad.gbnf", "root ::= (\"a\"\n");
  auto result = constrained_run({"--grammar", path}, "1");
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.errors,
            "weft: error: " + path + ":2:1: expecting ')' to close the group opened at 1:10\n");
}

TEST(GrammarCli, RunWithARegexMatchesItWhole) {
  const std::regex pattern("[a-z]{3,6}-[0-9]{2}");  // std::regex as the independent judge
  for (const char* seed : {"1", "2", "3"}) {
    auto result = constrained_run({"--regex", "[a-z]{3,6}-[0-9]{2}"}, seed);
    ASSERT_EQ(result.status, 0) << result.errors;
    auto text = without_final_newline(result.output);
    EXPECT_TRUE(std::regex_match(text, pattern)) << text;
  }
}

TEST(GrammarCli, RunWithAJsonSchemaGivesValidJson) {
  const std::string schema =
      R"({"type": "object", "properties": {"name": {"type": "string", "maxLength": 8},)"
      R"( "age": {"type": "integer", "minimum": 0, "maximum": 99}},)"
      R"( "required": ["name", "age"], "additionalProperties": false})";
  for (const char* seed : {"1", "2"}) {
    auto result = constrained_run({"--json-schema", schema}, seed);
    ASSERT_EQ(result.status, 0) << result.errors;
    auto parsed = nlohmann::json::parse(without_final_newline(result.output), nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << result.output;
    ASSERT_TRUE(parsed.is_object());
    EXPECT_EQ(parsed.size(), 2u) << result.output;
    EXPECT_TRUE(parsed["name"].is_string());
    EXPECT_LE(parsed["name"].get<std::string>().size(), 8u);
    ASSERT_TRUE(parsed["age"].is_number_integer());
    EXPECT_GE(parsed["age"].get<int>(), 0);
    EXPECT_LE(parsed["age"].get<int>(), 99);
  }
}

TEST(GrammarCli, FromSchemaPrintsAGrammarThatParses) {
  auto result = run_weft({"grammar", "from-schema", R"({"type": "boolean"})"});
  ASSERT_EQ(result.status, 0) << result.errors;
  auto grammar = grammar::parse_gbnf(result.output);
  EXPECT_TRUE(grammar::matches(*grammar, "true"));
  EXPECT_TRUE(grammar::matches(*grammar, "false"));
  EXPECT_FALSE(grammar::matches(*grammar, "null"));
}

}  // namespace
}  // namespace weft::testing
