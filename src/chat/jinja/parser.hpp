// Builds the syntax tree from tokens, with Jinja2's operator precedence. Syntax errors name
// the line and column of the offending token.
#pragma once

#include <memory>
#include <string_view>

#include "chat/jinja/ast.hpp"
#include "chat/jinja/lexer.hpp"

namespace weft::chat::jinja {

std::shared_ptr<const Program> parse(std::string_view source, const LexerOptions& options = {});

}  // namespace weft::chat::jinja
