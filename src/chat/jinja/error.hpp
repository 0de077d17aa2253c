// Errors of the template engine. A template that calls raise_exception(msg) fails with exactly
// msg (callers show it to users as the template author wrote it); every other error names the
// line and column of the template where it happened.
#pragma once

#include <string>

#include "weft/error.hpp"

namespace weft::chat::jinja {

struct SourcePos {
  int line = 0;  // 1-based; 0 = unknown
  int column = 0;
};

class TemplateError : public weft::Error {
 public:
  enum class Kind { syntax, runtime, raised };

  TemplateError(Kind kind, const std::string& message, SourcePos pos = {})
      : weft::Error(ErrorCode::invalid_request, format(kind, message, pos)),
        kind_(kind),
        detail_(message),
        pos_(pos) {}

  Kind kind() const { return kind_; }
  // The message without the location prefix.
  const std::string& detail() const { return detail_; }
  const SourcePos& pos() const { return pos_; }
  bool has_pos() const { return pos_.line > 0; }

  // The same error located at `pos` (runtime errors learn their location while unwinding).
  TemplateError located(SourcePos pos) const { return TemplateError(kind_, detail_, pos); }

 private:
  static std::string format(Kind kind, const std::string& message, SourcePos pos) {
    if (kind == Kind::raised) return message;
    std::string prefix = kind == Kind::syntax ? "template syntax error" : "template error";
    if (pos.line > 0) {
      prefix += " at line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column);
    }
    return prefix + ": " + message;
  }

  Kind kind_;
  std::string detail_;
  SourcePos pos_;
};

// Shorthand for the errors raised while rendering; the interpreter adds the location.
[[noreturn]] inline void fail(const std::string& message) {
  throw TemplateError(TemplateError::Kind::runtime, message);
}

}  // namespace weft::chat::jinja
