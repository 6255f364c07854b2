// Expression parsing, with Jinja2's precedence: conditional < or < and < not < comparisons
// < + - < ~ < * / // % < ** < unary - + < filters and tests < postfix (. [] ()).
#include <fmt/format.h>

#include <algorithm>

#include "aha/base/error.hpp"
#include "aha/jinja/parser.hpp"

namespace aha::jinja {
namespace {

// Recomputes the depth of `e` from its arguments; throws when it nests too deeply.
void seal(Expr& e) {
  e.depth = 1;
  for (const Expr& arg : e.args) e.depth = std::max(e.depth, arg.depth + 1);
  if (e.depth > kMaxExprDepth) fail("line {}: the expression nests more than {} levels deep", e.line, kMaxExprDepth);
}

Expr node(ExprKind kind, int line, std::vector<Expr> args = {}, std::string text = {}) {
  Expr e;
  e.kind = kind;
  e.line = line;
  e.args = std::move(args);
  e.text = std::move(text);
  seal(e);
  return e;
}

Expr constant(Value value, int line) {
  Expr e = node(ExprKind::constant, line);
  e.constant = std::move(value);
  return e;
}

std::vector<Expr> two(Expr a, Expr b) {
  std::vector<Expr> args;
  args.push_back(std::move(a));
  args.push_back(std::move(b));
  return args;
}

std::vector<Expr> one(Expr a) {
  std::vector<Expr> args;
  args.push_back(std::move(a));
  return args;
}

}  // namespace

bool Parser::is_tuple_end(Names extra_end) const {
  const TokenType type = current().type;
  if (type == TokenType::variable_end || type == TokenType::block_end || is_op(")")) return true;
  return is_name_in(extra_end);
}

Expr Parser::parse_expression(bool with_conditional) {
  DepthGuard guard(*this);
  return with_conditional ? parse_conditional() : parse_or();
}

Expr Parser::parse_tuple(bool with_conditional, Names extra_end, bool explicit_parentheses) {
  const int line = current().line;
  std::vector<Expr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) expect_op(",");
    if (is_tuple_end(extra_end)) break;
    items.push_back(parse_expression(with_conditional));
    if (!is_op(",")) break;
    is_tuple = true;
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items[0]);
    if (!explicit_parentheses) error("expected an expression");
  }
  return node(ExprKind::tuple, line, std::move(items));
}

Expr Parser::parse_conditional() {
  Expr result = parse_or();
  while (is_name("if")) {
    const int line = next().line;
    Expr test = parse_or();
    std::vector<Expr> args = two(std::move(test), std::move(result));
    if (skip_name("else")) args.push_back(parse_conditional());
    result = node(ExprKind::conditional, line, std::move(args));
  }
  return result;
}

Expr Parser::parse_or() {
  Expr left = parse_and();
  while (is_name("or")) {
    const int line = next().line;
    left = node(ExprKind::or_, line, two(std::move(left), parse_and()));
  }
  return left;
}

Expr Parser::parse_and() {
  Expr left = parse_not();
  while (is_name("and")) {
    const int line = next().line;
    left = node(ExprKind::and_, line, two(std::move(left), parse_not()));
  }
  return left;
}

Expr Parser::parse_not() {
  if (is_name("not")) {
    DepthGuard guard(*this);
    const int line = next().line;
    return node(ExprKind::not_, line, one(parse_not()));
  }
  return parse_compare();
}

Expr Parser::parse_compare() {
  const int line = current().line;
  Expr first = parse_math1();
  Expr result = node(ExprKind::compare, line, one(std::move(first)));
  while (true) {
    std::string op;
    if (current().type == TokenType::op &&
        (current().text == "==" || current().text == "!=" || current().text == "<" || current().text == "<=" ||
         current().text == ">" || current().text == ">=")) {
      op = next().text;
    } else if (skip_name("in")) {
      op = "in";
    } else if (is_name("not") && look().type == TokenType::name && look().text == "in") {
      next();
      next();
      op = "notin";
    } else {
      break;
    }
    result.keywords.push_back(op);
    result.args.push_back(parse_math1());
  }
  if (result.keywords.empty()) return std::move(result.args[0]);
  seal(result);
  return result;
}

Expr Parser::parse_math1() {
  Expr left = parse_concat();
  while (is_op("+") || is_op("-")) {
    const Token& op = next();
    left = node(ExprKind::binary, op.line, two(std::move(left), parse_concat()), op.text);
  }
  return left;
}

Expr Parser::parse_concat() {
  const int line = current().line;
  std::vector<Expr> parts = one(parse_math2());
  while (skip_op("~")) parts.push_back(parse_math2());
  if (parts.size() == 1) return std::move(parts[0]);
  return node(ExprKind::concat, line, std::move(parts));
}

Expr Parser::parse_math2() {
  Expr left = parse_pow();
  while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
    const Token& op = next();
    left = node(ExprKind::binary, op.line, two(std::move(left), parse_pow()), op.text);
  }
  return left;
}

Expr Parser::parse_pow() {
  Expr left = parse_unary(true);
  while (is_op("**")) {
    const int line = next().line;
    left = node(ExprKind::binary, line, two(std::move(left), parse_unary(true)), "**");
  }
  return left;
}

Expr Parser::parse_unary(bool with_filter) {
  DepthGuard guard(*this);
  const int line = current().line;
  Expr result;
  if (skip_op("-")) {
    result = node(ExprKind::negative, line, one(parse_unary(false)));
  } else if (skip_op("+")) {
    result = node(ExprKind::positive, line, one(parse_unary(false)));
  } else {
    result = parse_primary();
  }
  result = parse_postfix(std::move(result));
  return with_filter ? parse_filter_expr(std::move(result)) : result;
}

Expr Parser::parse_primary() {
  const Token& token = current();
  const int line = token.line;
  switch (token.type) {
    case TokenType::name: {
      const std::string& n = token.text;
      next();
      if (n == "true" || n == "True") return constant(Value::from_bool(true), line);
      if (n == "false" || n == "False") return constant(Value::from_bool(false), line);
      if (n == "none" || n == "None") return constant(Value::none(), line);
      if (in_macro_ && (n == "varargs" || n == "kwargs" || n == "caller"))
        error_at(line, fmt::format("'{}' inside macros is not supported", n));
      return node(ExprKind::name, line, {}, n);
    }
    case TokenType::string: {
      std::string text = next().text;
      while (current().type == TokenType::string) text += next().text;  // adjacent literals concatenate
      return constant(Value::from_string(std::move(text)), line);
    }
    case TokenType::integer: return constant(Value::from_int(next().integer), line);
    case TokenType::floating: return constant(Value::from_double(next().floating), line);
    default: break;
  }
  if (skip_op("(")) {
    Expr inner = parse_tuple(true, {}, true);
    expect_op(")");
    return inner;
  }
  if (is_op("[")) return parse_list();
  if (is_op("{")) return parse_dict();
  error("unexpected token in an expression");
}

Expr Parser::parse_list() {
  const int line = next().line;
  std::vector<Expr> items;
  while (!is_op("]")) {
    if (!items.empty()) expect_op(",");
    if (is_op("]")) break;
    items.push_back(parse_expression());
  }
  next();
  return node(ExprKind::list, line, std::move(items));
}

Expr Parser::parse_dict() {
  const int line = next().line;
  std::vector<Expr> items;
  while (!is_op("}")) {
    if (!items.empty()) expect_op(",");
    if (is_op("}")) break;
    items.push_back(parse_expression());
    expect_op(":");
    items.push_back(parse_expression());
  }
  next();
  return node(ExprKind::dict, line, std::move(items));
}

Expr Parser::parse_postfix(Expr result) {
  while (true) {
    if (is_op(".") || is_op("[")) {
      result = parse_subscript(std::move(result));
    } else if (is_op("(")) {
      result = parse_call(std::move(result));
    } else {
      return result;
    }
  }
}

Expr Parser::parse_filter_expr(Expr result) {
  while (true) {
    if (is_op("|")) {
      result = parse_filter(std::move(result), false);
    } else if (is_name("is")) {
      result = parse_test(std::move(result));
    } else if (is_op("(")) {
      result = parse_call(std::move(result));
    } else {
      return result;
    }
  }
}

Expr Parser::parse_subscript(Expr object) {
  DepthGuard guard(*this);
  const Token& token = next();
  const int line = token.line;
  if (token.text == ".") {
    if (current().type == TokenType::name) return node(ExprKind::attribute, line, one(std::move(object)), next().text);
    if (current().type != TokenType::integer) error("expected a name or a number after '.'");
    return node(ExprKind::item, line, two(std::move(object), constant(Value::from_int(next().integer), line)));
  }
  std::vector<Expr> subscripts;
  while (!is_op("]")) {
    if (!subscripts.empty()) expect_op(",");
    subscripts.push_back(parse_subscribed());
  }
  next();
  if (subscripts.size() != 1) {
    if (subscripts.empty()) error_at(line, "empty subscript '[]'");
    return node(ExprKind::item, line, two(std::move(object), node(ExprKind::tuple, line, std::move(subscripts))));
  }
  Expr& index = subscripts[0];
  if (index.kind == ExprKind::slice) {
    index.args.insert(index.args.begin(), std::move(object));
    seal(index);
    return std::move(index);
  }
  return node(ExprKind::item, line, two(std::move(object), std::move(index)));
}

Expr Parser::parse_subscribed() {
  const int line = current().line;
  std::vector<Expr> parts;
  if (skip_op(":")) {
    parts.push_back(constant(Value::none(), line));
  } else {
    Expr first = parse_expression();
    if (!skip_op(":")) return first;
    parts.push_back(std::move(first));
  }
  auto part_ends = [&] { return is_op("]") || is_op(",") || is_op(":"); };
  parts.push_back(part_ends() ? constant(Value::none(), line) : parse_expression());
  if (skip_op(":")) {
    parts.push_back(is_op("]") || is_op(",") ? constant(Value::none(), line) : parse_expression());
  } else {
    parts.push_back(constant(Value::none(), line));
  }
  return node(ExprKind::slice, line, std::move(parts));
}

Expr Parser::parse_call(Expr callee) {
  Expr call = node(ExprKind::call, current().line, one(std::move(callee)));
  parse_call_arguments(call);
  return call;
}

void Parser::parse_call_arguments(Expr& call) {
  DepthGuard guard(*this);
  expect_op("(");
  bool need_comma = false;
  while (!is_op(")")) {
    if (need_comma) {
      expect_op(",");
      if (is_op(")")) break;
    }
    if (is_op("*") || is_op("**")) error("*args and **kwargs in calls are not supported");
    if (current().type == TokenType::name && look().type == TokenType::op && look().text == "=") {
      call.keywords.push_back(next().text);
      next();
      call.args.push_back(parse_expression());
    } else {
      if (!call.keywords.empty()) error("a positional argument follows a keyword argument");
      call.args.push_back(parse_expression());
    }
    need_comma = true;
  }
  next();
  seal(call);
}

Expr Parser::parse_filter(Expr operand, bool start_inline) {
  while (is_op("|") || start_inline) {
    if (!start_inline) next();
    start_inline = false;
    const int line = current().line;
    std::string name = expect_name();
    while (skip_op(".")) {
      name += '.';  // two appends: GCC 12 reports a false -Wstringop-overflow for "." + string
      name += expect_name();
    }
    if (!is_known_filter(name)) error_at(line, fmt::format("no filter named '{}'", name));
    Expr filter = node(ExprKind::filter, line, one(std::move(operand)), name);
    if (is_op("(")) parse_call_arguments(filter);
    operand = std::move(filter);
  }
  return operand;
}

Expr Parser::parse_test(Expr operand) {
  const int line = next().line;
  const bool negated = skip_name("not");
  std::string name = expect_name();
  while (skip_op(".")) name += "." + expect_name();
  if (!is_known_test(name)) error_at(line, fmt::format("no test named '{}'", name));
  Expr test = node(ExprKind::test, line, one(std::move(operand)), name);
  const Token& token = current();
  const bool starts_argument = token.type == TokenType::name || token.type == TokenType::string ||
                               token.type == TokenType::integer || token.type == TokenType::floating || is_op("[") ||
                               is_op("{");
  if (is_op("(")) {
    parse_call_arguments(test);
  } else if (starts_argument && !is_name("else") && !is_name("or") && !is_name("and")) {
    if (is_name("is")) error("tests cannot be chained with 'is'");
    test.args.push_back(parse_postfix(parse_primary()));
    seal(test);
  }
  if (negated) return node(ExprKind::not_, line, one(std::move(test)));
  return test;
}

}  // namespace aha::jinja
