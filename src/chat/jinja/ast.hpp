// The syntax tree the parser builds and the interpreter walks. One generic node type per
// layer (expressions, statements) keeps the tree easy to build; `kind` says which fields mean
// something.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja/error.hpp"
#include "chat/jinja/value.hpp"

namespace weft::chat::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    literal,      // value
    name,         // name
    list,         // args = items
    tuple,        // args = items
    dict,         // args = key, value, key, value…
    attribute,    // args[0].name
    item,         // args[0][args[1]]
    slice,        // args[0][args[1]:args[2]:args[3]], missing parts are null
    call,         // args[0](args[1..], kwargs)
    filter,       // args[0] | name(args[1..], kwargs); args[0] null inside a filter block
    test,         // args[0] is [not] name(args[1..], kwargs)
    unary,        // name = "not", "-", "+"; args[0]
    binary,       // name = operator; args[0], args[1]
    logical_and,  // args[0] and args[1]
    logical_or,
    compare,      // args[0] ops[0] args[1] ops[1] args[2]…
    conditional,  // args[0] if args[1] else args[2] (args[2] may be null)
  };

  Kind kind = Kind::literal;
  SourcePos pos;
  Value value;
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
  bool negated = false;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null: no default
};

struct Stmt {
  enum class Kind {
    text,        // text
    output,      // {{ expr }}
    if_chain,    // conditions[i] → bodies[i]; else_body
    for_loop,    // targets in expr [if condition]: body, else_body
    set,         // targets = expr, or target_object.attribute = expr
    set_block,   // {% set target %}body{% endset %}, filters applied to the body
    macro,       // name(params): body
    call_block,  // {% call(params) expr %}body{% endcall %}
    filter_block,
    do_expr,  // {% do expr %}
    loop_break,
    loop_continue,
  };

  Kind kind = Kind::text;
  SourcePos pos;
  std::string text;
  ExprPtr expr;
  std::vector<ExprPtr> conditions;
  std::vector<Body> bodies;
  Body body;
  Body else_body;
  std::vector<std::string> targets;
  std::string target_object;     // set ns.attr = …: "ns"; targets[0] = "attr"
  ExprPtr condition;             // for … if condition
  std::vector<ExprPtr> filters;  // set_block / filter_block: filter nodes, args[0] null
  std::vector<MacroParam> params;
};

struct Program {
  Body body;
};

}  // namespace weft::chat::jinja
