// Options that constrain what `weft run` and `weft chat` generate: a GBNF grammar file, free
// JSON, a JSON Schema or a regular expression (docs/grammar.md). At most one; it ends up as
// GBNF in GenerationOptions::grammar.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "weft/types.hpp"

namespace weft::cli {

struct ConstraintFlags {
  std::string grammar_file;
  bool json = false;
  std::string json_schema;  // a file name, or the schema itself
  std::string regex;
};

void add_constraint_options(CLI::App& app, ConstraintFlags& flags);

// Sets options.grammar from the flags. Throws weft::Error(invalid_request) naming the file
// when it cannot be read or is not valid GBNF, before any model is loaded.
void apply_constraint_options(const ConstraintFlags& flags, GenerationOptions& options);

// A file's whole text; throws weft::Error naming it when it cannot be read.
std::string read_text_file_or_throw(const std::string& path, const char* what);

// A JSON Schema given on the command line: the file it names, else the text itself.
std::string json_schema_argument_to_gbnf(const std::string& argument);

// "grammar:2:5: ..." from the parser, told as "FILE:2:5: ...".
std::string with_file_name(const std::string& message, const std::string& path);

}  // namespace weft::cli
