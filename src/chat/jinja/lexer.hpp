// Splits a template into tokens: template text between tags, and the tokens inside
// {{ … }} and {% … %}. Whitespace control ({%- -%} {{- -}} {#- -#}, `+` to opt out) and the
// trim_blocks / lstrip_blocks behaviour of Hugging Face's Jinja environment happen here, as
// does newline normalisation and the removal of one trailing newline (Jinja2 defaults).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat/jinja/error.hpp"

namespace weft::chat::jinja {

enum class TokenType {
  text,            // template data
  variable_begin,  // {{
  variable_end,    // }}
  block_begin,     // {%
  block_end,       // %}
  name,
  string,   // value is the unescaped string
  integer,  // value is the digits, underscores removed
  floating,
  op,  // operators and punctuation: value is the operator text
  eof,
};

struct Token {
  TokenType type;
  std::string value;
  SourcePos pos;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// Throws TemplateError (syntax) naming line and column for unterminated tags, strings and
// comments, and for characters that cannot start a token.
std::vector<Token> tokenize(std::string_view source, const LexerOptions& options = {});

}  // namespace weft::chat::jinja
