#include "chat/jinja/parser.hpp"

#include <charconv>
#include <cstdlib>
#include <initializer_list>

namespace weft::chat::jinja {
namespace {

// Deep nesting would otherwise exhaust the stack on hostile input.
constexpr int kMaxNesting = 256;

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  std::shared_ptr<const Program> run() {
    auto program = std::make_shared<Program>();
    std::string found;
    program->body = parse_until({}, found, {});
    return program;
  }

 private:
  // ---- token helpers ----
  const Token& current() const { return tokens_[index_]; }
  const Token& peek(size_t ahead = 1) const {
    return tokens_[std::min(index_ + ahead, tokens_.size() - 1)];
  }
  const Token& advance() {
    const Token& token = tokens_[index_];
    if (index_ + 1 < tokens_.size()) ++index_;
    return token;
  }
  bool is_op(std::string_view op) const {
    return current().type == TokenType::op && current().value == op;
  }
  bool is_name(std::string_view name) const {
    return current().type == TokenType::name && current().value == name;
  }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    advance();
    return true;
  }

  static std::string describe(const Token& token) {
    switch (token.type) {
      case TokenType::text:
        return "template text";
      case TokenType::variable_begin:
        return "'{{'";
      case TokenType::variable_end:
        return "'}}'";
      case TokenType::block_begin:
        return "'{%'";
      case TokenType::block_end:
        return "'%}'";
      case TokenType::name:
        return "'" + token.value + "'";
      case TokenType::string:
        return "string";
      case TokenType::integer:
      case TokenType::floating:
        return "number";
      case TokenType::op:
        return "'" + token.value + "'";
      case TokenType::eof:
        return "end of template";
    }
    return "token";
  }

  [[noreturn]] void error_at(const Token& token, const std::string& message) const {
    throw TemplateError(TemplateError::Kind::syntax, message, token.pos);
  }
  [[noreturn]] void unexpected(const std::string& expected) const {
    error_at(current(), "expected " + expected + ", got " + describe(current()));
  }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) unexpected("'" + std::string(op) + "'");
  }
  void expect_block_end() {
    if (current().type != TokenType::block_end) unexpected("'%}'");
    advance();
  }
  std::string expect_identifier() {
    if (current().type != TokenType::name) unexpected("a name");
    return advance().value;
  }

  struct DepthGuard {
    explicit DepthGuard(Parser& parser) : parser_(parser) {
      if (++parser_.depth_ > kMaxNesting)
        parser_.error_at(parser_.current(), "template nested too deeply");
    }
    ~DepthGuard() { --parser_.depth_; }
    Parser& parser_;
  };

  // ---- statements ----
  // Parses until a block tag named in `ends` (consumed up to its name; `found` says which).
  Body parse_until(std::initializer_list<std::string_view> ends, std::string& found,
                   const Token& opener) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& token = current();
      switch (token.type) {
        case TokenType::eof:
          if (ends.size() == 0) return body;
          error_at(opener, "unexpected end of template: this '" + opener.value +
                               "' block is never closed (expected '" +
                               std::string(*(ends.end() - 1)) + "')");
        case TokenType::text: {
          auto stmt = make_stmt(Stmt::Kind::text, token);
          stmt->text = token.value;
          advance();
          body.push_back(std::move(stmt));
          break;
        }
        case TokenType::variable_begin: {
          auto stmt = make_stmt(Stmt::Kind::output, token);
          advance();
          stmt->expr = parse_tuple_expression();
          if (current().type != TokenType::variable_end) unexpected("'}}'");
          advance();
          body.push_back(std::move(stmt));
          break;
        }
        case TokenType::block_begin: {
          const Token& name = peek();
          if (name.type == TokenType::name) {
            for (auto end : ends) {
              if (name.value == end) {
                advance();
                advance();
                found = name.value;
                return body;
              }
            }
          }
          advance();
          body.push_back(parse_statement(token));
          break;
        }
        default:
          unexpected("template text or a tag");
      }
    }
  }

  StmtPtr make_stmt(Stmt::Kind kind, const Token& token) {
    auto stmt = std::make_unique<Stmt>();
    stmt->kind = kind;
    stmt->pos = token.pos;
    return stmt;
  }

  StmtPtr parse_statement(const Token& tag) {
    if (current().type != TokenType::name) unexpected("a statement name");
    Token keyword = advance();
    keyword.pos = tag.pos;
    const std::string& name = keyword.value;
    if (name == "if") return parse_if(keyword);
    if (name == "for") return parse_for(keyword);
    if (name == "set") return parse_set(keyword);
    if (name == "macro") return parse_macro(keyword);
    if (name == "call") return parse_call_block(keyword);
    if (name == "filter") return parse_filter_block(keyword);
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) error_at(keyword, "'" + name + "' outside of a loop");
      expect_block_end();
      return make_stmt(name == "break" ? Stmt::Kind::loop_break : Stmt::Kind::loop_continue,
                       keyword);
    }
    if (name == "do") {
      auto stmt = make_stmt(Stmt::Kind::do_expr, keyword);
      stmt->expr = parse_tuple_expression();
      expect_block_end();
      return stmt;
    }
    if (name == "generation") {
      // Hugging Face's marker for assistant text: it renders its body unchanged.
      expect_block_end();
      auto stmt = make_stmt(Stmt::Kind::filter_block, keyword);
      std::string found;
      stmt->body = parse_until({"endgeneration"}, found, keyword);
      expect_block_end();
      return stmt;
    }
    if (name == "include" || name == "import" || name == "from" || name == "extends") {
      error_at(keyword,
               "'" + name + "' is not available: templates are sandboxed and cannot load files");
    }
    error_at(keyword, "unknown statement '" + name + "'");
  }

  StmtPtr parse_if(const Token& keyword) {
    auto stmt = make_stmt(Stmt::Kind::if_chain, keyword);
    stmt->conditions.push_back(parse_tuple_expression());
    expect_block_end();
    while (true) {
      std::string found;
      Body body = parse_until({"elif", "else", "endif"}, found, keyword);
      stmt->bodies.push_back(std::move(body));
      if (found == "elif") {
        stmt->conditions.push_back(parse_tuple_expression());
        expect_block_end();
        continue;
      }
      expect_block_end();
      if (found == "else") {
        stmt->else_body = parse_until({"endif"}, found, keyword);
        expect_block_end();
      }
      return stmt;
    }
  }

  StmtPtr parse_for(const Token& keyword) {
    auto stmt = make_stmt(Stmt::Kind::for_loop, keyword);
    bool parenthesized = skip_op("(");
    do {
      stmt->targets.push_back(expect_identifier());
    } while (skip_op(","));
    if (parenthesized) expect_op(")");
    if (!skip_name("in")) unexpected("'in'");
    stmt->expr = parse_or();
    if (skip_name("if")) stmt->condition = parse_expression();
    if (is_name("recursive")) error_at(current(), "recursive loops are not supported");
    expect_block_end();
    ++loop_depth_;
    std::string found;
    stmt->body = parse_until({"else", "endfor"}, found, keyword);
    --loop_depth_;
    expect_block_end();
    if (found == "else") {
      stmt->else_body = parse_until({"endfor"}, found, keyword);
      expect_block_end();
    }
    return stmt;
  }

  StmtPtr parse_set(const Token& keyword) {
    std::string first = expect_identifier();
    if (skip_op(".")) {
      auto stmt = make_stmt(Stmt::Kind::set, keyword);
      stmt->target_object = first;
      stmt->targets.push_back(expect_identifier());
      expect_op("=");
      stmt->expr = parse_tuple_expression();
      expect_block_end();
      return stmt;
    }
    std::vector<std::string> targets = {first};
    while (skip_op(",")) targets.push_back(expect_identifier());
    if (skip_op("=")) {
      auto stmt = make_stmt(Stmt::Kind::set, keyword);
      stmt->targets = std::move(targets);
      stmt->expr = parse_tuple_expression();
      expect_block_end();
      return stmt;
    }
    if (targets.size() != 1) unexpected("'='");
    auto stmt = make_stmt(Stmt::Kind::set_block, keyword);
    stmt->targets = std::move(targets);
    while (skip_op("|")) stmt->filters.push_back(parse_filter(nullptr));
    expect_block_end();
    std::string found;
    stmt->body = parse_until({"endset"}, found, keyword);
    expect_block_end();
    return stmt;
  }

  std::vector<MacroParam> parse_params() {
    std::vector<MacroParam> params;
    expect_op("(");
    while (!is_op(")")) {
      if (!params.empty()) expect_op(",");
      if (is_op(")")) break;
      MacroParam param;
      param.name = expect_identifier();
      if (skip_op("=")) param.default_value = parse_expression();
      params.push_back(std::move(param));
    }
    expect_op(")");
    return params;
  }

  StmtPtr parse_macro(const Token& keyword) {
    auto stmt = make_stmt(Stmt::Kind::macro, keyword);
    stmt->targets.push_back(expect_identifier());
    stmt->params = parse_params();
    expect_block_end();
    int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;
    std::string found;
    stmt->body = parse_until({"endmacro"}, found, keyword);
    loop_depth_ = saved_loop_depth;
    expect_block_end();
    return stmt;
  }

  StmtPtr parse_call_block(const Token& keyword) {
    auto stmt = make_stmt(Stmt::Kind::call_block, keyword);
    if (is_op("(")) stmt->params = parse_params();
    stmt->expr = parse_expression();
    if (stmt->expr->kind != Expr::Kind::call) error_at(keyword, "expected a call after 'call'");
    expect_block_end();
    std::string found;
    stmt->body = parse_until({"endcall"}, found, keyword);
    expect_block_end();
    return stmt;
  }

  StmtPtr parse_filter_block(const Token& keyword) {
    auto stmt = make_stmt(Stmt::Kind::filter_block, keyword);
    do {
      stmt->filters.push_back(parse_filter(nullptr));
    } while (skip_op("|"));
    expect_block_end();
    std::string found;
    stmt->body = parse_until({"endfilter"}, found, keyword);
    expect_block_end();
    return stmt;
  }

  // ---- expressions ----
  ExprPtr make_expr(Expr::Kind kind, SourcePos pos) {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->pos = pos;
    return expr;
  }

  // An expression where a bare tuple is allowed ({{ a, b }}, set x = a, b).
  ExprPtr parse_tuple_expression() {
    SourcePos pos = current().pos;
    auto first = parse_expression();
    if (!is_op(",")) return first;
    auto tuple = make_expr(Expr::Kind::tuple, pos);
    tuple->args.push_back(std::move(first));
    while (skip_op(",")) {
      if (current().type == TokenType::block_end || current().type == TokenType::variable_end)
        break;
      tuple->args.push_back(parse_expression());
    }
    return tuple;
  }

  ExprPtr parse_expression() {
    DepthGuard guard(*this);
    SourcePos pos = current().pos;
    auto expr = parse_or();
    while (skip_name("if")) {
      auto conditional = make_expr(Expr::Kind::conditional, pos);
      auto condition = parse_or();
      ExprPtr otherwise;
      if (skip_name("else")) otherwise = parse_expression();
      conditional->args.push_back(std::move(expr));
      conditional->args.push_back(std::move(condition));
      conditional->args.push_back(std::move(otherwise));
      expr = std::move(conditional);
    }
    return expr;
  }

  ExprPtr binary(Expr::Kind kind, std::string op, ExprPtr left, ExprPtr right, SourcePos pos) {
    auto expr = make_expr(kind, pos);
    expr->name = std::move(op);
    expr->args.push_back(std::move(left));
    expr->args.push_back(std::move(right));
    return expr;
  }

  ExprPtr parse_or() {
    auto left = parse_and();
    while (is_name("or")) {
      SourcePos pos = advance().pos;
      left = binary(Expr::Kind::logical_or, "or", std::move(left), parse_and(), pos);
    }
    return left;
  }

  ExprPtr parse_and() {
    auto left = parse_not();
    while (is_name("and")) {
      SourcePos pos = advance().pos;
      left = binary(Expr::Kind::logical_and, "and", std::move(left), parse_not(), pos);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      SourcePos pos = advance().pos;
      auto expr = make_expr(Expr::Kind::unary, pos);
      expr->name = "not";
      expr->args.push_back(parse_not());
      return expr;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    SourcePos pos = current().pos;
    auto first = parse_math1();
    ExprPtr compare;
    while (true) {
      std::string op;
      if (current().type == TokenType::op &&
          (current().value == "==" || current().value == "!=" || current().value == "<" ||
           current().value == ">" || current().value == "<=" || current().value == ">=")) {
        op = advance().value;
      } else if (is_name("in")) {
        advance();
        op = "in";
      } else if (is_name("not") && peek().type == TokenType::name && peek().value == "in") {
        advance();
        advance();
        op = "not in";
      } else {
        break;
      }
      if (!compare) {
        compare = make_expr(Expr::Kind::compare, pos);
        compare->args.push_back(std::move(first));
      }
      compare->ops.push_back(op);
      compare->args.push_back(parse_math1());
    }
    return compare ? std::move(compare) : std::move(first);
  }

  ExprPtr parse_math1() {
    auto left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& op = advance();
      left = binary(Expr::Kind::binary, op.value, std::move(left), parse_concat(), op.pos);
    }
    return left;
  }

  ExprPtr parse_concat() {
    auto left = parse_math2();
    while (is_op("~")) {
      const Token& op = advance();
      left = binary(Expr::Kind::binary, "~", std::move(left), parse_math2(), op.pos);
    }
    return left;
  }

  ExprPtr parse_math2() {
    auto left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& op = advance();
      left = binary(Expr::Kind::binary, op.value, std::move(left), parse_pow(), op.pos);
    }
    return left;
  }

  ExprPtr parse_pow() {
    auto left = parse_unary(true);
    while (is_op("**")) {
      const Token& op = advance();
      left = binary(Expr::Kind::binary, "**", std::move(left), parse_unary(true), op.pos);
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr expr;
    if (is_op("-") || is_op("+")) {
      const Token& op = advance();
      expr = make_expr(Expr::Kind::unary, op.pos);
      expr->name = op.value;
      expr->args.push_back(parse_unary(false));
    } else {
      expr = parse_primary();
    }
    expr = parse_postfix(std::move(expr));
    if (with_filter) expr = parse_filter_chain(std::move(expr));
    return expr;
  }

  ExprPtr parse_primary() {
    const Token& token = current();
    switch (token.type) {
      case TokenType::name: {
        advance();
        const std::string& name = token.value;
        if (name == "true" || name == "True") return literal(Value(true), token.pos);
        if (name == "false" || name == "False") return literal(Value(false), token.pos);
        if (name == "none" || name == "None") return literal(Value(None{}), token.pos);
        auto expr = make_expr(Expr::Kind::name, token.pos);
        expr->name = name;
        return expr;
      }
      case TokenType::string: {
        std::string text = advance().value;
        while (current().type == TokenType::string) text += advance().value;
        return literal(Value(std::move(text)), token.pos);
      }
      case TokenType::integer:
        return literal(Value(integer_literal(advance())), token.pos);
      case TokenType::floating:
        advance();
        return literal(Value(std::strtod(token.value.c_str(), nullptr)), token.pos);
      case TokenType::op:
        if (token.value == "(") return parse_parenthesized();
        if (token.value == "[") return parse_list();
        if (token.value == "{") return parse_dict();
        [[fallthrough]];
      default:
        unexpected("an expression");
    }
  }

  ExprPtr literal(Value value, SourcePos pos) {
    auto expr = make_expr(Expr::Kind::literal, pos);
    expr->value = std::move(value);
    return expr;
  }

  ExprPtr parse_parenthesized() {
    SourcePos pos = advance().pos;
    if (skip_op(")")) return make_expr(Expr::Kind::tuple, pos);
    auto first = parse_expression();
    if (skip_op(")")) return first;
    auto tuple = make_expr(Expr::Kind::tuple, pos);
    tuple->args.push_back(std::move(first));
    while (skip_op(",")) {
      if (is_op(")")) break;
      tuple->args.push_back(parse_expression());
    }
    expect_op(")");
    return tuple;
  }

  ExprPtr parse_list() {
    auto list = make_expr(Expr::Kind::list, advance().pos);
    while (!is_op("]")) {
      if (!list->args.empty()) expect_op(",");
      if (is_op("]")) break;
      list->args.push_back(parse_expression());
    }
    expect_op("]");
    return list;
  }

  ExprPtr parse_dict() {
    auto dict = make_expr(Expr::Kind::dict, advance().pos);
    while (!is_op("}")) {
      if (!dict->args.empty()) expect_op(",");
      if (is_op("}")) break;
      dict->args.push_back(parse_expression());
      expect_op(":");
      dict->args.push_back(parse_expression());
    }
    expect_op("}");
    return dict;
  }

  int64_t integer_literal(const Token& token) {
    int64_t value = 0;
    auto result =
        std::from_chars(token.value.data(), token.value.data() + token.value.size(), value);
    if (result.ec != std::errc()) error_at(token, "integer literal out of range");
    return value;
  }

  ExprPtr parse_postfix(ExprPtr expr) {
    while (true) {
      if (is_op(".")) {
        SourcePos pos = advance().pos;
        if (current().type == TokenType::integer) {
          auto item = make_expr(Expr::Kind::item, pos);
          item->args.push_back(std::move(expr));
          item->args.push_back(literal(Value(integer_literal(advance())), pos));
          expr = std::move(item);
          continue;
        }
        auto attribute = make_expr(Expr::Kind::attribute, pos);
        attribute->name = expect_identifier();
        attribute->args.push_back(std::move(expr));
        expr = std::move(attribute);
      } else if (is_op("[")) {
        expr = parse_subscript(std::move(expr));
      } else if (is_op("(")) {
        expr = parse_call(std::move(expr));
      } else {
        return expr;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr target) {
    SourcePos pos = advance().pos;
    ExprPtr parts[3];
    bool is_slice = false;
    if (!is_op(":")) parts[0] = parse_expression();
    if (skip_op(":")) {
      is_slice = true;
      if (!is_op("]") && !is_op(":")) parts[1] = parse_expression();
      if (skip_op(":") && !is_op("]")) parts[2] = parse_expression();
    }
    expect_op("]");
    auto expr = make_expr(is_slice ? Expr::Kind::slice : Expr::Kind::item, pos);
    expr->args.push_back(std::move(target));
    if (is_slice) {
      for (auto& part : parts) expr->args.push_back(std::move(part));
    } else {
      expr->args.push_back(std::move(parts[0]));
    }
    return expr;
  }

  void parse_call_args(Expr& expr) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (current().type == TokenType::name && peek().type == TokenType::op &&
          peek().value == "=") {
        std::string name = advance().value;
        advance();
        expr.kwargs.emplace_back(std::move(name), parse_expression());
      } else {
        if (!expr.kwargs.empty())
          unexpected("a keyword argument (positional arguments come first)");
        expr.args.push_back(parse_expression());
      }
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto call = make_expr(Expr::Kind::call, current().pos);
    call->args.push_back(std::move(callee));
    parse_call_args(*call);
    return call;
  }

  ExprPtr parse_filter(ExprPtr operand) {
    SourcePos pos = current().pos;
    auto filter = make_expr(Expr::Kind::filter, pos);
    filter->name = expect_identifier();
    while (skip_op(".")) filter->name += "." + expect_identifier();
    filter->args.push_back(std::move(operand));
    if (is_op("(")) parse_call_args(*filter);
    return filter;
  }

  ExprPtr parse_filter_chain(ExprPtr expr) {
    while (true) {
      if (skip_op("|")) {
        expr = parse_filter(std::move(expr));
      } else if (is_name("is")) {
        expr = parse_test(std::move(expr));
      } else if (is_op("(")) {
        expr = parse_call(std::move(expr));
      } else {
        return expr;
      }
    }
  }

  ExprPtr parse_test(ExprPtr operand) {
    SourcePos pos = advance().pos;
    auto test = make_expr(Expr::Kind::test, pos);
    test->negated = skip_name("not");
    test->name = expect_identifier();
    test->args.push_back(std::move(operand));
    const Token& next = current();
    bool starts_argument = next.type == TokenType::name || next.type == TokenType::string ||
                           next.type == TokenType::integer || next.type == TokenType::floating ||
                           (next.type == TokenType::op &&
                            (next.value == "(" || next.value == "[" || next.value == "{"));
    if (next.type == TokenType::op && next.value == "(") {
      parse_call_args(*test);
    } else if (starts_argument && !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) error_at(next, "tests cannot be chained with 'is'");
      test->args.push_back(parse_postfix(parse_primary()));
    }
    return test;
  }

  std::vector<Token> tokens_;
  size_t index_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

std::shared_ptr<const Program> parse(std::string_view source, const LexerOptions& options) {
  return Parser(tokenize(source, options)).run();
}

}  // namespace weft::chat::jinja
