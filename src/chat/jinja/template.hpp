// A compiled Jinja template: parse once, render many times with different variables.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "chat/jinja/ast.hpp"
#include "chat/jinja/interpreter.hpp"
#include "chat/jinja/lexer.hpp"

namespace weft::chat::jinja {

class Template {
 public:
  // Throws TemplateError (syntax) naming line and column.
  explicit Template(std::string_view source, const LexerOptions& options = {});

  // Throws TemplateError: runtime errors name line and column; raise_exception(msg) gives msg.
  std::string render(const Dict& variables, const RenderOptions& options = {}) const;

 private:
  std::shared_ptr<const Program> program_;
};

}  // namespace weft::chat::jinja
