// `weft grammar check FILE`: parses a GBNF grammar and reports the first error with its
// line and column (exit status 1), or that it is valid. `weft grammar from-schema SCHEMA`:
// prints the GBNF a JSON Schema (a file, or the schema itself) becomes.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/constraint_options.hpp"
#include "grammar/grammar.hpp"
#include "grammar/grammar_rules.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct GrammarOptions {
  std::string file;
  std::string schema;
};

int check_grammar(const GrammarOptions& options) {
  std::string text = read_text_file_or_throw(options.file, "grammar file");
  try {
    auto compiled = grammar::parse_gbnf(text);
    std::printf("%s: valid GBNF (%zu rules after expanding groups and repetitions)\n",
                options.file.c_str(), compiled->rule_count());
    return 0;
  } catch (const Error& error) {
    std::fprintf(stderr, "%s\n", with_file_name(error.what(), options.file).c_str());
    return 1;
  }
}

int print_schema_grammar(const GrammarOptions& options) {
  std::string gbnf = json_schema_argument_to_gbnf(options.schema);
  std::fwrite(gbnf.data(), 1, gbnf.size(), stdout);
  if (!gbnf.empty() && gbnf.back() != '\n') std::fputc('\n', stdout);
  return 0;
}

}  // namespace

Command add_grammar_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "grammar", "Check GBNF grammars, or make one from a JSON Schema (docs/grammar.md)");
  sub->require_subcommand(1);
  auto options = std::make_shared<GrammarOptions>();
  auto* check = sub->add_subcommand("check", "Parse a GBNF file; print the first error, if any");
  check->add_option("file", options->file, "The grammar file")->required();
  auto* from_schema = sub->add_subcommand("from-schema", "Print the GBNF grammar of a JSON Schema");
  from_schema->add_option("schema", options->schema, "A JSON Schema file, or the schema itself")
      ->required();
  return {sub, [options, check, from_schema] {
            if (check->parsed()) return check_grammar(*options);
            if (from_schema->parsed()) return print_schema_grammar(*options);
            return 2;
          }};
}

}  // namespace weft::cli
