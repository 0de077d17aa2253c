#include "chat/jinja/interpreter.hpp"

#include "chat/jinja/builtins.hpp"
#include "chat/jinja/error.hpp"
#include "chat/jinja/operations.hpp"

namespace weft::chat::jinja {

struct Interpreter::Scope {
  std::shared_ptr<Scope> parent;
  std::unordered_map<std::string, Value> variables;

  const Value* lookup(const std::string& name) const {
    for (const Scope* scope = this; scope; scope = scope->parent.get()) {
      auto found = scope->variables.find(name);
      if (found != scope->variables.end()) return &found->second;
    }
    return nullptr;
  }
};

Interpreter::Interpreter(const Program& program, RenderOptions options)
    : program_(program), options_(std::move(options)) {}

Interpreter::ScopePtr Interpreter::make_globals() {
  auto globals = std::make_shared<Scope>();
  for (auto& [name, value] : builtin_globals()) globals->variables[name] = std::move(value);
  return globals;
}

std::string Interpreter::render(const Dict& variables) {
  iterations_ = 0;
  call_depth_ = 0;
  auto root = std::make_shared<Scope>();
  root->parent = make_globals();
  for (const auto& [name, value] : variables.entries()) root->variables[name] = value;
  std::string out;
  execute(program_.body, root, out);
  return out;
}

void Interpreter::append(std::string& out, const std::string& text) const {
  if (out.size() + text.size() > options_.limits.max_output_bytes) {
    fail("output exceeds the limit of " + std::to_string(options_.limits.max_output_bytes) +
         " bytes");
  }
  out += text;
}

void Interpreter::count_iteration() {
  if (++iterations_ > options_.limits.max_loop_iterations) {
    fail("loop iterations exceed the limit of " +
         std::to_string(options_.limits.max_loop_iterations));
  }
}

Interpreter::Flow Interpreter::execute(const Body& body, const ScopePtr& scope, std::string& out) {
  for (const auto& stmt : body) {
    Flow flow = Flow::normal;
    try {
      flow = execute_statement(*stmt, scope, out);
    } catch (const TemplateError& error) {
      if (error.kind() == TemplateError::Kind::raised || error.has_pos()) throw;
      throw error.located(stmt->pos);
    }
    if (flow != Flow::normal) return flow;
  }
  return Flow::normal;
}

Interpreter::Flow Interpreter::execute_statement(const Stmt& stmt, const ScopePtr& scope,
                                                 std::string& out) {
  switch (stmt.kind) {
    case Stmt::Kind::text:
      append(out, stmt.text);
      return Flow::normal;
    case Stmt::Kind::output:
      append(out, evaluate(*stmt.expr, scope).to_string(options_.limits.max_value_bytes));
      return Flow::normal;
    case Stmt::Kind::if_chain:
      for (size_t i = 0; i < stmt.conditions.size(); ++i) {
        if (evaluate(*stmt.conditions[i], scope).truthy())
          return execute(stmt.bodies[i], scope, out);
      }
      return execute(stmt.else_body, scope, out);
    case Stmt::Kind::for_loop:
      return execute_for(stmt, scope, out);
    case Stmt::Kind::set:
      execute_set(stmt, scope);
      return Flow::normal;
    case Stmt::Kind::set_block: {
      std::string captured;
      execute(stmt.body, scope, captured);
      assign_targets(*scope, stmt.targets,
                     apply_filter_chain(stmt.filters, Value(std::move(captured)), scope));
      return Flow::normal;
    }
    case Stmt::Kind::filter_block: {
      std::string captured;
      Flow flow = execute(stmt.body, scope, captured);
      append(out, apply_filter_chain(stmt.filters, Value(std::move(captured)), scope)
                      .to_string(options_.limits.max_value_bytes));
      return flow;
    }
    case Stmt::Kind::macro:
      scope->variables[stmt.targets[0]] = define_macro(stmt, scope);
      return Flow::normal;
    case Stmt::Kind::call_block: {
      const Expr& call = *stmt.expr;
      Value callee = evaluate(*call.args[0], scope);
      CallArgs args = evaluate_arguments(call, 1, scope);
      args.named.emplace_back("caller", define_macro(stmt, scope));
      append(out, this->call(callee, args).to_string(options_.limits.max_value_bytes));
      return Flow::normal;
    }
    case Stmt::Kind::do_expr:
      evaluate(*stmt.expr, scope);
      return Flow::normal;
    case Stmt::Kind::loop_break:
      return Flow::break_loop;
    case Stmt::Kind::loop_continue:
      return Flow::continue_loop;
  }
  return Flow::normal;
}

void Interpreter::assign_targets(Scope& scope, const std::vector<std::string>& targets,
                                 const Value& value) {
  if (targets.size() == 1) {
    scope.variables[targets[0]] = value;
    return;
  }
  auto items = iterate(value, options_.limits.max_value_bytes);
  if (items.size() != targets.size()) {
    fail(items.size() > targets.size()
             ? "too many values to unpack (expected " + std::to_string(targets.size()) + ")"
             : "not enough values to unpack (expected " + std::to_string(targets.size()) +
                   ", got " + std::to_string(items.size()) + ")");
  }
  for (size_t i = 0; i < targets.size(); ++i) scope.variables[targets[i]] = items[i];
}

void Interpreter::execute_set(const Stmt& stmt, const ScopePtr& scope) {
  Value value = evaluate(*stmt.expr, scope);
  if (stmt.target_object.empty()) {
    assign_targets(*scope, stmt.targets, value);
    return;
  }
  const Value* object = scope->lookup(stmt.target_object);
  if (!object || !object->is_dict() || object->as_dict().kind() != Dict::Kind::namespace_object) {
    fail("can only set attributes of namespace objects ('" + stmt.target_object +
         "' is not a namespace)");
  }
  object->as_dict().set(stmt.targets[0], std::move(value));
}

namespace {

Value make_loop_object(const List& items, size_t index) {
  auto loop = std::make_shared<Dict>(Dict::Kind::loop_object);
  auto length = static_cast<int64_t>(items.size());
  auto i = static_cast<int64_t>(index);
  loop->set("index", Value(i + 1));
  loop->set("index0", Value(i));
  loop->set("revindex", Value(length - i));
  loop->set("revindex0", Value(length - i - 1));
  loop->set("first", Value(index == 0));
  loop->set("last", Value(index + 1 == items.size()));
  loop->set("length", Value(length));
  loop->set("depth", Value(1));
  loop->set("depth0", Value(0));
  loop->set("previtem",
            index > 0 ? items[index - 1] : Value::undefined("there is no previous item"));
  loop->set("nextitem", index + 1 < items.size() ? items[index + 1]
                                                 : Value::undefined("there is no next item"));
  auto cycle = std::make_shared<Callable>();
  cycle->name = "loop.cycle";
  cycle->call = [index](const CallArgs& args, Interpreter&) {
    if (args.positional.empty()) fail("no items for cycling given");
    return args.positional[index % args.positional.size()];
  };
  loop->set("cycle", Value(std::move(cycle)));
  return Value(std::move(loop));
}

}  // namespace

Interpreter::Flow Interpreter::execute_for(const Stmt& stmt, const ScopePtr& scope,
                                           std::string& out) {
  Value iterable = evaluate(*stmt.expr, scope);
  if (iterable.is_dict() && iterable.as_dict().kind() != Dict::Kind::plain) {
    fail("'" + iterable.type_name() + "' object is not iterable");
  }
  auto loop_scope = std::make_shared<Scope>();
  loop_scope->parent = scope;
  List items;
  for (auto& item : iterate(iterable, options_.limits.max_value_bytes)) {
    count_iteration();
    if (stmt.condition) {
      assign_targets(*loop_scope, stmt.targets, item);
      if (!evaluate(*stmt.condition, loop_scope).truthy()) continue;
    }
    items.push_back(std::move(item));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    count_iteration();
    assign_targets(*loop_scope, stmt.targets, items[i]);
    loop_scope->variables["loop"] = make_loop_object(items, i);
    if (execute(stmt.body, loop_scope, out) == Flow::break_loop) break;
  }
  if (items.empty()) return execute(stmt.else_body, scope, out);
  return Flow::normal;
}

Value Interpreter::define_macro(const Stmt& stmt, const ScopePtr& scope) {
  auto callable = std::make_shared<Callable>();
  callable->name = stmt.kind == Stmt::Kind::macro ? stmt.targets[0] : "caller";
  // A weak reference: the macro is stored in the scope it captures.
  std::weak_ptr<Scope> defining_scope = scope;
  const Stmt* macro = &stmt;
  callable->call = [macro, defining_scope](const CallArgs& args, Interpreter& interpreter) {
    return interpreter.invoke_macro(*macro, defining_scope, args);
  };
  return Value(std::move(callable));
}

Value Interpreter::invoke_macro(const Stmt& macro, const std::weak_ptr<Scope>& defining_scope,
                                const CallArgs& args) {
  auto parent = defining_scope.lock();
  if (!parent) fail("macro called after the scope that defined it ended");
  if (call_depth_ >= options_.limits.max_call_depth) {
    fail("macro calls nested deeper than " + std::to_string(options_.limits.max_call_depth));
  }
  auto scope = std::make_shared<Scope>();
  scope->parent = parent;
  const auto& params = macro.params;
  List varargs;
  for (size_t i = 0; i < args.positional.size(); ++i) {
    if (i < params.size()) {
      scope->variables[params[i].name] = args.positional[i];
    } else {
      varargs.push_back(args.positional[i]);
    }
  }
  auto kwargs = std::make_shared<Dict>();
  for (const auto& [name, value] : args.named) {
    bool is_param = false;
    for (const auto& param : params) is_param = is_param || param.name == name;
    if (is_param || name == "caller") {
      scope->variables[name] = value;
    } else {
      kwargs->set(name, value);
    }
  }
  for (const auto& param : params) {
    if (scope->variables.count(param.name)) continue;
    scope->variables[param.name] =
        param.default_value ? evaluate(*param.default_value, scope)
                            : Value::undefined("parameter '" + param.name + "' was not provided");
  }
  scope->variables["varargs"] = Value(std::move(varargs));
  scope->variables["kwargs"] = Value(std::move(kwargs));
  ++call_depth_;
  std::string out;
  try {
    execute(macro.body, scope, out);
  } catch (...) {
    --call_depth_;
    throw;
  }
  --call_depth_;
  return Value(std::move(out));
}

Value Interpreter::call(const Value& callee, const CallArgs& args) {
  if (callee.is_callable()) return callee.as_callable().call(args, *this);
  if (callee.is_undefined()) fail_undefined(callee);
  fail("'" + callee.type_name() + "' object is not callable");
}

Value Interpreter::apply_filter_chain(const std::vector<ExprPtr>& filters, Value input,
                                      const ScopePtr& scope) {
  for (const auto& node : filters) {
    input = filter(node->name, input, evaluate_arguments(*node, 1, scope));
  }
  return input;
}

CallArgs Interpreter::evaluate_arguments(const Expr& expr, size_t first, const ScopePtr& scope) {
  CallArgs args;
  for (size_t i = first; i < expr.args.size(); ++i)
    args.positional.push_back(evaluate(*expr.args[i], scope));
  for (const auto& [name, value] : expr.kwargs)
    args.named.emplace_back(name, evaluate(*value, scope));
  return args;
}

Value Interpreter::evaluate(const Expr& expr, const ScopePtr& scope) {
  try {
    return evaluate_node(expr, scope);
  } catch (const TemplateError& error) {
    if (error.kind() == TemplateError::Kind::raised || error.has_pos()) throw;
    throw error.located(expr.pos);
  }
}

Value Interpreter::bounded(Value value) const {
  check_value_bytes(value_bytes(value), options_.limits.max_value_bytes);
  return value;
}

Value Interpreter::evaluate_node(const Expr& expr, const ScopePtr& scope) {
  switch (expr.kind) {
    case Expr::Kind::literal:
      return expr.value;
    case Expr::Kind::name: {
      if (const Value* value = scope->lookup(expr.name)) return *value;
      return Value::undefined("'" + expr.name + "' is undefined");
    }
    case Expr::Kind::list:
    case Expr::Kind::tuple: {
      List items;
      for (const auto& item : expr.args) items.push_back(evaluate(*item, scope));
      Value list(std::move(items));
      if (expr.kind == Expr::Kind::tuple) list.mark_tuple();
      return bounded(std::move(list));
    }
    case Expr::Kind::dict: {
      auto dict = std::make_shared<Dict>();
      for (size_t i = 0; i + 1 < expr.args.size(); i += 2) {
        Value key = evaluate(*expr.args[i], scope);
        if (!key.is_string()) fail("dict keys must be strings, not " + key.type_name());
        dict->set(key.as_string(), evaluate(*expr.args[i + 1], scope));
      }
      return bounded(Value(std::move(dict)));
    }
    case Expr::Kind::attribute:
      return get_attribute(evaluate(*expr.args[0], scope), expr.name);
    case Expr::Kind::item:
      return get_item(evaluate(*expr.args[0], scope), evaluate(*expr.args[1], scope));
    case Expr::Kind::slice: {
      Value object = evaluate(*expr.args[0], scope);
      Value parts[3];
      for (int i = 0; i < 3; ++i) {
        if (expr.args[static_cast<size_t>(i) + 1])
          parts[i] = evaluate(*expr.args[static_cast<size_t>(i) + 1], scope);
      }
      auto part = [&](int i) {
        return expr.args[static_cast<size_t>(i) + 1] ? &parts[i] : nullptr;
      };
      return get_slice(object, part(0), part(1), part(2));
    }
    case Expr::Kind::call: {
      Value callee = evaluate(*expr.args[0], scope);
      return bounded(call(callee, evaluate_arguments(expr, 1, scope)));
    }
    case Expr::Kind::filter:
      return bounded(
          filter(expr.name, evaluate(*expr.args[0], scope), evaluate_arguments(expr, 1, scope)));
    case Expr::Kind::test: {
      bool result =
          test(expr.name, evaluate(*expr.args[0], scope), evaluate_arguments(expr, 1, scope));
      return Value(expr.negated ? !result : result);
    }
    case Expr::Kind::unary: {
      Value operand = evaluate(*expr.args[0], scope);
      if (expr.name == "not") return Value(!operand.truthy());
      if (expr.name == "-") return negate(operand);
      if (!operand.is_number()) fail("bad operand type for unary +: '" + operand.type_name() + "'");
      return operand;
    }
    case Expr::Kind::binary:
      return binary_operation(expr.name, evaluate(*expr.args[0], scope),
                              evaluate(*expr.args[1], scope), options_.limits.max_value_bytes);
    case Expr::Kind::logical_and: {
      Value left = evaluate(*expr.args[0], scope);
      return left.truthy() ? evaluate(*expr.args[1], scope) : left;
    }
    case Expr::Kind::logical_or: {
      Value left = evaluate(*expr.args[0], scope);
      return left.truthy() ? left : evaluate(*expr.args[1], scope);
    }
    case Expr::Kind::compare: {
      Value left = evaluate(*expr.args[0], scope);
      for (size_t i = 0; i < expr.ops.size(); ++i) {
        Value right = evaluate(*expr.args[i + 1], scope);
        if (!compare(expr.ops[i], left, right)) return Value(false);
        left = std::move(right);
      }
      return Value(true);
    }
    case Expr::Kind::conditional: {
      if (evaluate(*expr.args[1], scope).truthy()) return evaluate(*expr.args[0], scope);
      if (expr.args[2]) return evaluate(*expr.args[2], scope);
      return Value::undefined(
          "the conditional expression's condition was false and it has no else");
    }
  }
  fail("unknown expression");
}

}  // namespace weft::chat::jinja
