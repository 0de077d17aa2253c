// Jinja's tests (`x is defined`, `x is not none`, `x is equalto y`…) with Jinja2's meaning
// for each Python type.
#include "chat/jinja/error.hpp"
#include "chat/jinja/interpreter.hpp"
#include "chat/jinja/operations.hpp"
#include "chat/jinja/unicode.hpp"

namespace weft::chat::jinja {
namespace {

const Value& required(const CallArgs& args, const std::string& test) {
  if (args.positional.empty()) fail("test '" + test + "' needs an argument");
  return args.positional[0];
}

bool same_object(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::none:
      return true;
    case Value::Kind::list:
      return &a.as_list() == &b.as_list();
    case Value::Kind::dict:
      return &a.as_dict() == &b.as_dict();
    case Value::Kind::callable:
      return &a.as_callable() == &b.as_callable();
    default:
      return equals(a, b);
  }
}

int64_t integer_of(const Value& value, const std::string& test) {
  if (value.is_int()) return value.as_int();
  if (value.is_bool()) return value.as_bool() ? 1 : 0;
  fail("test '" + test + "' needs an integer, not " + value.type_name());
}

}  // namespace

bool Interpreter::test(const std::string& name, const Value& value, const CallArgs& args) {
  using Kind = Value::Kind;
  Kind kind = value.kind();
  if (name == "defined") return kind != Kind::undefined;
  if (name == "undefined") return kind == Kind::undefined;
  if (name == "none") return kind == Kind::none;
  if (name == "boolean") return kind == Kind::boolean;
  if (name == "true") return kind == Kind::boolean && value.as_bool();
  if (name == "false") return kind == Kind::boolean && !value.as_bool();
  if (name == "integer") return kind == Kind::integer;
  if (name == "float") return kind == Kind::floating;
  if (name == "number") return value.is_number();
  if (name == "string") return kind == Kind::string;
  if (name == "mapping") return kind == Kind::dict && value.as_dict().kind() == Dict::Kind::plain;
  if (name == "iterable") {
    return kind == Kind::undefined || kind == Kind::string || kind == Kind::list ||
           (kind == Kind::dict && value.as_dict().kind() == Dict::Kind::plain);
  }
  if (name == "sequence") {
    return kind == Kind::undefined || kind == Kind::string || kind == Kind::list ||
           (kind == Kind::dict && value.as_dict().kind() == Dict::Kind::plain);
  }
  if (name == "callable") return kind == Kind::callable;
  if (name == "escaped") return false;
  if (name == "sameas") return same_object(value, required(args, name));
  if (name == "in") return contains(required(args, name), value);
  if (name == "odd") return integer_of(value, name) % 2 != 0;
  if (name == "even") return integer_of(value, name) % 2 == 0;
  if (name == "divisibleby") {
    int64_t divisor = integer_of(required(args, name), name);
    if (divisor == 0) fail("integer division or modulo by zero");
    return integer_of(value, name) % divisor == 0;
  }
  if (name == "lower" || name == "upper") {
    std::string text = value.to_string();
    std::string converted = name == "lower" ? unicode::lower(text) : unicode::upper(text);
    bool has_cased = unicode::lower(text) != unicode::upper(text);
    return has_cased && converted == text;
  }
  if (name == "eq" || name == "equalto" || name == "==") return equals(value, required(args, name));
  if (name == "ne" || name == "!=") return !equals(value, required(args, name));
  if (name == "lt" || name == "lessthan" || name == "<")
    return less_than(value, required(args, name));
  if (name == "le" || name == "<=") return !less_than(required(args, name), value);
  if (name == "gt" || name == "greaterthan" || name == ">")
    return less_than(required(args, name), value);
  if (name == "ge" || name == ">=") return !less_than(value, required(args, name));
  fail("no test named '" + name + "'");
}

}  // namespace weft::chat::jinja
