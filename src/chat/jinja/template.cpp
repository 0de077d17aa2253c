#include "chat/jinja/template.hpp"

#include "chat/jinja/parser.hpp"

namespace weft::chat::jinja {

Template::Template(std::string_view source, const LexerOptions& options)
    : program_(parse(source, options)) {}

std::string Template::render(const Dict& variables, const RenderOptions& options) const {
  Interpreter interpreter(*program_, options);
  return interpreter.render(variables);
}

}  // namespace weft::chat::jinja
