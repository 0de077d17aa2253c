#include "cli/constraint_options.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "grammar/grammar.hpp"
#include "grammar/json_schema.hpp"
#include "grammar/regex.hpp"
#include "weft/error.hpp"

namespace weft::cli {

void add_constraint_options(CLI::App& app, ConstraintFlags& flags) {
  auto* grammar = app.add_option("--grammar", flags.grammar_file,
                                 "GBNF grammar file the output must match (docs/grammar.md)");
  auto* json = app.add_flag("--json", flags.json, "The output must be a JSON object");
  auto* schema = app.add_option("--json-schema", flags.json_schema,
                                "The output must be JSON valid under this JSON Schema (a file "
                                "name, or the schema itself)");
  auto* regex = app.add_option("--regex", flags.regex,
                               "The output must match this regular expression (whole output, "
                               "ECMAScript syntax)");
  grammar->excludes(json, schema, regex);
  json->excludes(schema, regex);
  schema->excludes(regex);
}

std::string json_schema_argument_to_gbnf(const std::string& argument) {
  std::error_code ignored;
  const bool is_file = std::filesystem::is_regular_file(argument, ignored);
  std::string text = is_file ? read_text_file_or_throw(argument, "JSON Schema file") : argument;
  auto schema = nlohmann::ordered_json::parse(text, nullptr, false);
  if (schema.is_discarded()) {
    throw Error(ErrorCode::invalid_request,
                is_file ? "JSON Schema file " + argument + " is not valid JSON"
                        : "--json-schema: '" + argument + "' is neither a file nor valid JSON");
  }
  return grammar::json_schema_to_gbnf(schema);
}

std::string read_text_file_or_throw(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::invalid_request, std::string("cannot read ") + what + " " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string with_file_name(const std::string& message, const std::string& path) {
  constexpr std::string_view kPrefix = "grammar:";
  if (message.rfind(kPrefix, 0) == 0) return path + ":" + message.substr(kPrefix.size());
  return path + ": " + message;
}

void apply_constraint_options(const ConstraintFlags& flags, GenerationOptions& options) {
  if (flags.json) {
    options.grammar = std::string(grammar::free_form_json_gbnf());
    return;
  }
  if (!flags.json_schema.empty()) {
    options.grammar = json_schema_argument_to_gbnf(flags.json_schema);
    return;
  }
  if (!flags.regex.empty()) {
    options.grammar = grammar::whole_text_regex_to_gbnf(flags.regex);
    return;
  }
  if (flags.grammar_file.empty()) return;
  std::string text = read_text_file_or_throw(flags.grammar_file, "grammar file");
  try {
    grammar::parse_gbnf(text);
  } catch (const Error& error) {
    throw Error(ErrorCode::invalid_request, with_file_name(error.what(), flags.grammar_file));
  }
  options.grammar = std::move(text);
}

}  // namespace weft::cli
