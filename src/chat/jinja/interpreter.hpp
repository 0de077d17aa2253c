// Walks a parsed template and renders it. Rendering is sandboxed: the only way out of the
// template is the output string; there are no file, environment or attribute-of-host-object
// accesses, and loop iterations, macro nesting and output size are bounded.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <unordered_map>

#include "chat/jinja/ast.hpp"
#include "chat/jinja/value.hpp"

namespace weft::chat::jinja {

struct RenderLimits {
  size_t max_output_bytes = size_t{64} << 20;
  // Any one string or list the template builds (by ~, +, *, join, replace, tojson…).
  size_t max_value_bytes = kDefaultMaxValueBytes;
  uint64_t max_loop_iterations = 1'000'000;  // all loops of one rendering together
  int max_call_depth = 128;                  // nested macro calls
};

struct RenderOptions {
  std::tm now{};  // what strftime_now() formats
  RenderLimits limits;
};

class Interpreter {
 public:
  Interpreter(const Program& program, RenderOptions options);

  // Renders the program with `variables` as the template's context.
  std::string render(const Dict& variables);

  // Entry points for filters, tests and callables that need the interpreter.
  Value call(const Value& callee, const CallArgs& args);
  Value filter(const std::string& name, const Value& input, const CallArgs& args);
  bool test(const std::string& name, const Value& input, const CallArgs& args);
  void count_iteration();
  const RenderOptions& options() const { return options_; }

 private:
  struct Scope;
  using ScopePtr = std::shared_ptr<Scope>;
  enum class Flow { normal, break_loop, continue_loop };

  Flow execute(const Body& body, const ScopePtr& scope, std::string& out);
  Flow execute_statement(const Stmt& stmt, const ScopePtr& scope, std::string& out);
  Flow execute_for(const Stmt& stmt, const ScopePtr& scope, std::string& out);
  void execute_set(const Stmt& stmt, const ScopePtr& scope);
  Value define_macro(const Stmt& stmt, const ScopePtr& scope);
  Value invoke_macro(const Stmt& macro, const std::weak_ptr<Scope>& defining_scope,
                     const CallArgs& args);
  Value apply_filter_chain(const std::vector<ExprPtr>& filters, Value input, const ScopePtr& scope);

  Value evaluate(const Expr& expr, const ScopePtr& scope);
  Value evaluate_node(const Expr& expr, const ScopePtr& scope);
  // `value`, after checking that it is within max_value_bytes.
  Value bounded(Value value) const;
  CallArgs evaluate_arguments(const Expr& expr, size_t first, const ScopePtr& scope);

  void assign_targets(Scope& scope, const std::vector<std::string>& targets, const Value& value);
  void append(std::string& out, const std::string& text) const;
  ScopePtr make_globals();

  const Program& program_;
  RenderOptions options_;
  uint64_t iterations_ = 0;
  int call_depth_ = 0;
};

}  // namespace weft::chat::jinja
