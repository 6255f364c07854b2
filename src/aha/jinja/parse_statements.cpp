// Statement parsing: text, {{ output }}, and the {% tags %} transformers' environment accepts.
#include <fmt/format.h>

#include <cstring>

#include "aha/base/error.hpp"
#include "aha/jinja/parser.hpp"

namespace aha::jinja {
namespace {

const char* describe(const Token& token) {
  switch (token.type) {
    case TokenType::eof: return "end of template";
    case TokenType::variable_end: return "end of print statement '}}'";
    case TokenType::block_end: return "end of statement block '%}'";
    default: return nullptr;
  }
}

Expr marker(ExprKind kind, int line) {
  Expr e;
  e.kind = kind;
  e.line = line;
  return e;
}

std::string join_names(std::initializer_list<const char*> names) {
  std::string out;
  for (const char* n : names) out += (out.empty() ? "'" : " or '") + std::string(n) + "'";
  return out;
}

}  // namespace

Parser::DepthGuard::DepthGuard(Parser& p) : parser(p) {
  if (++parser.depth_ > kMaxSyntaxDepth)
    parser.error(fmt::format("the template nests more than {} levels deep", kMaxSyntaxDepth));
}

const Token& Parser::next() {
  const Token& token = tokens_[pos_];
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return token;
}

bool Parser::is_op(const char* op) const { return current().type == TokenType::op && current().text == op; }
bool Parser::is_name(const char* name) const { return current().type == TokenType::name && current().text == name; }

bool Parser::is_name_in(Names names) const {
  for (const char* n : names)
    if (is_name(n)) return true;
  return false;
}

bool Parser::skip_op(const char* op) {
  if (!is_op(op)) return false;
  next();
  return true;
}

bool Parser::skip_name(const char* name) {
  if (!is_name(name)) return false;
  next();
  return true;
}

void Parser::expect_op(const char* op) {
  if (!skip_op(op)) error(fmt::format("expected '{}'", op));
}

void Parser::expect(TokenType type, const char* what) {
  if (current().type != type) error(fmt::format("expected {}", what));
  next();
}

std::string Parser::expect_name() {
  if (current().type != TokenType::name) error("expected a name");
  return next().text;
}

void Parser::error(const std::string& what) const {
  const Token& token = current();
  const char* described = describe(token);
  std::string got = described ? described : "'" + (token.text.empty() ? std::string("?") : token.text) + "'";
  if (token.type == TokenType::string) got = "a string";
  fail("line {}: {} (found {})", token.line, what, got);
}

void Parser::error_at(int line, const std::string& what) const { fail("line {}: {}", line, what); }

std::vector<Stmt> Parser::parse_template() {
  std::vector<Stmt> body = subparse({});
  if (current().type != TokenType::eof) error("unexpected tag");
  return body;
}

std::vector<Stmt> Parser::subparse(Names end_names) {
  DepthGuard guard(*this);
  std::vector<Stmt> body;
  while (current().type != TokenType::eof) {
    const Token& token = current();
    if (token.type == TokenType::data) {
      body.push_back({StmtKind::text, token.line, token.text, {}, {}, {}, {}, {}});
      next();
    } else if (token.type == TokenType::variable_begin) {
      next();
      Stmt output{StmtKind::output, token.line, "", {}, {}, {}, {}, {}};
      output.exprs.push_back(parse_tuple(true));
      expect(TokenType::variable_end, "the end of the print statement '}}'");
      body.push_back(std::move(output));
    } else if (token.type == TokenType::block_begin) {
      next();
      if (end_names.size() && is_name_in(end_names)) return body;
      body.push_back(parse_statement());
      expect(TokenType::block_end, "the end of the statement block '%}'");
    } else {
      error("unexpected token");
    }
  }
  return body;
}

std::vector<Stmt> Parser::parse_statements(Names end_names, bool drop_needle) {
  skip_op(":");
  expect(TokenType::block_end, "the end of the statement block '%}'");
  std::vector<Stmt> body = subparse(end_names);
  if (current().type == TokenType::eof)
    error(fmt::format("unexpected end of template; expected {}", join_names(end_names)));
  if (drop_needle) next();
  return body;
}

Stmt Parser::parse_statement() {
  DepthGuard guard(*this);
  if (current().type != TokenType::name) error("expected a tag name");
  const std::string tag = current().text;
  const int line = current().line;
  if (tag == "for") return parse_for();
  if (tag == "if") return parse_if();
  if (tag == "set") return parse_set();
  if (tag == "macro") return parse_macro();
  if (tag == "with") return parse_with();
  if (tag == "filter") return parse_filter_block();
  if (tag == "print") {
    next();
    Stmt output{StmtKind::output, line, "", {}, {}, {}, {}, {}};
    output.exprs.push_back(parse_tuple(true));
    return output;
  }
  if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) error_at(line, fmt::format("'{}' outside of a loop", tag));
    next();
    return {tag == "break" ? StmtKind::break_ : StmtKind::continue_, line, "", {}, {}, {}, {}, {}};
  }
  if (tag == "generation") {  // transformers' AssistantTracker: renders its body in a scope of its own
    next();
    ++scope_depth_;
    Stmt with{StmtKind::with, line, "", {}, {}, {}, {}, {}};
    with.bodies.push_back(parse_statements({"endgeneration"}, true));
    --scope_depth_;
    return with;
  }
  for (const char* unsupported : {"block", "extends", "include", "import", "from", "call", "autoescape"})
    if (tag == unsupported) error_at(line, fmt::format("the '{}' tag is not supported", tag));
  error_at(line, fmt::format("unknown tag '{}'", tag));
}

Stmt Parser::parse_for() {
  Stmt loop{StmtKind::for_, next().line, "", {}, {}, {}, {}, {}};
  loop.targets.push_back(parse_assign_target({"in"}, false));
  if (!skip_name("in")) error("expected 'in' in the for loop");
  loop.exprs.push_back(parse_tuple(false, {"recursive"}));
  if (skip_name("if")) loop.exprs.push_back(parse_expression());
  if (is_name("recursive")) error("recursive for loops are not supported");
  ++loop_depth_;
  ++scope_depth_;
  loop.bodies.push_back(parse_statements({"endfor", "else"}, false));
  --loop_depth_;
  const bool has_else = next().text == "else";
  loop.bodies.push_back(has_else ? parse_statements({"endfor"}, true) : std::vector<Stmt>{});
  --scope_depth_;
  return loop;
}

Stmt Parser::parse_if() {
  Stmt branch{StmtKind::if_, next().line, "", {}, {}, {}, {}, {}};
  while (true) {
    branch.exprs.push_back(parse_tuple(false));
    branch.bodies.push_back(parse_statements({"elif", "else", "endif"}, false));
    const std::string which = next().text;
    if (which == "elif") continue;
    branch.bodies.push_back(which == "else" ? parse_statements({"endif"}, true) : std::vector<Stmt>{});
    return branch;
  }
}

Stmt Parser::parse_set() {
  const int line = next().line;
  Target target = parse_assign_target({}, true);
  if (skip_op("=")) {
    Stmt set{StmtKind::set, line, "", {}, {}, {}, {}, {}};
    set.targets.push_back(std::move(target));
    set.exprs.push_back(parse_tuple(true));
    return set;
  }
  Stmt block{StmtKind::set_block, line, "", {}, {}, {}, {}, {}};
  block.targets.push_back(std::move(target));
  if (is_op("|")) block.exprs.push_back(parse_filter(marker(ExprKind::placeholder, line), false));
  ++scope_depth_;
  block.bodies.push_back(parse_statements({"endset"}, true));
  --scope_depth_;
  return block;
}

Target Parser::parse_assign_target(Names extra_end, bool with_namespace) {
  Target target;
  if (with_namespace && current().type == TokenType::name && look().type == TokenType::op && look().text == ".") {
    target.names.push_back(next().text);
    next();
    target.attribute = expect_name();
    return target;
  }
  while (true) {
    if (!target.names.empty()) expect_op(",");
    if (is_tuple_end(extra_end)) break;
    if (current().type != TokenType::name) error("can only assign to names");
    const std::string& name = current().text;
    if (name == "true" || name == "false" || name == "True" || name == "False" || name == "none" || name == "None")
      error(fmt::format("cannot assign to '{}'", name));
    target.names.push_back(next().text);
    if (!is_op(",")) break;
    target.unpack = true;
  }
  if (target.names.empty()) error("expected a name to assign to");
  return target;
}

Stmt Parser::parse_macro() {
  Stmt macro{StmtKind::macro, next().line, "", {}, {}, {}, {}, {}};
  if (scope_depth_ > 0) error_at(macro.line, "macros defined inside loops, macros or blocks are not supported");
  macro.text = expect_name();
  expect_op("(");
  while (!is_op(")")) {
    if (!macro.params.empty()) expect_op(",");
    if (is_op(")")) break;
    macro.params.push_back(expect_name());
    if (skip_op("=")) {
      macro.defaults.push_back(parse_expression());
    } else {
      if (!macro.defaults.empty() && macro.defaults.back().kind != ExprKind::absent)
        error("a parameter without a default follows one with a default");
      macro.defaults.push_back(marker(ExprKind::absent, macro.line));
    }
  }
  next();
  const int saved_loops = loop_depth_;
  loop_depth_ = 0;
  ++scope_depth_;
  in_macro_ = true;
  macro.bodies.push_back(parse_statements({"endmacro"}, true));
  in_macro_ = false;
  --scope_depth_;
  loop_depth_ = saved_loops;
  return macro;
}

Stmt Parser::parse_with() {
  Stmt with{StmtKind::with, next().line, "", {}, {}, {}, {}, {}};
  while (current().type != TokenType::block_end) {
    if (!with.targets.empty()) expect_op(",");
    with.targets.push_back(parse_assign_target({}, false));
    expect_op("=");
    with.exprs.push_back(parse_expression());
  }
  ++scope_depth_;
  with.bodies.push_back(parse_statements({"endwith"}, true));
  --scope_depth_;
  return with;
}

Stmt Parser::parse_filter_block() {
  Stmt block{StmtKind::filter_block, next().line, "", {}, {}, {}, {}, {}};
  block.exprs.push_back(parse_filter(marker(ExprKind::placeholder, block.line), true));
  ++scope_depth_;
  block.bodies.push_back(parse_statements({"endfilter"}, true));
  --scope_depth_;
  return block;
}

}  // namespace aha::jinja
