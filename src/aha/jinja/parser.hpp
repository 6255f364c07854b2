// The Jinja parser: tokens to a syntax tree, following Jinja2's grammar and precedence.
// Statements are in parse_statements.cpp, expressions in parse_expressions.cpp.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "aha/jinja/ast.hpp"
#include "aha/jinja/lexer.hpp"

namespace aha::jinja {

// How deeply statements and expressions may nest in a template.
constexpr int kMaxSyntaxDepth = 128;

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : tokens_(tokens) {}
  // Parses the whole template; throws naming the line for a syntax error or an unsupported feature.
  std::vector<Stmt> parse_template();

 private:
  using Names = std::initializer_list<const char*>;

  // Statements.
  std::vector<Stmt> subparse(Names end_names);
  std::vector<Stmt> parse_statements(Names end_names, bool drop_needle);
  Stmt parse_statement();
  Stmt parse_for();
  Stmt parse_if();
  Stmt parse_set();
  Stmt parse_macro();
  Stmt parse_with();
  Stmt parse_filter_block();
  Target parse_assign_target(Names extra_end, bool with_namespace);

  // Expressions, from the loosest binding to the tightest.
  Expr parse_expression(bool with_conditional = true);
  Expr parse_tuple(bool with_conditional, Names extra_end = {}, bool explicit_parentheses = false);
  Expr parse_conditional();
  Expr parse_or();
  Expr parse_and();
  Expr parse_not();
  Expr parse_compare();
  Expr parse_math1();
  Expr parse_concat();
  Expr parse_math2();
  Expr parse_pow();
  Expr parse_unary(bool with_filter);
  Expr parse_primary();
  Expr parse_list();
  Expr parse_dict();
  Expr parse_postfix(Expr node);
  Expr parse_filter_expr(Expr node);
  Expr parse_subscript(Expr node);
  Expr parse_subscribed();
  Expr parse_call(Expr callee);
  Expr parse_filter(Expr operand, bool start_inline);
  Expr parse_test(Expr operand);
  void parse_call_arguments(Expr& call);

  // Tokens.
  const Token& current() const { return tokens_[pos_]; }
  const Token& look() const { return tokens_[pos_ + 1 < tokens_.size() ? pos_ + 1 : pos_]; }
  const Token& next();
  bool is_op(const char* op) const;
  bool is_name(const char* name) const;
  bool is_name_in(Names names) const;
  bool skip_op(const char* op);
  bool skip_name(const char* name);
  void expect_op(const char* op);
  void expect(TokenType type, const char* what);
  std::string expect_name();
  bool is_tuple_end(Names extra_end) const;
  [[noreturn]] void error(const std::string& what) const;
  [[noreturn]] void error_at(int line, const std::string& what) const;

  // Counts nesting and refuses templates that nest deeper than kMaxSyntaxDepth.
  struct DepthGuard {
    explicit DepthGuard(Parser& parser);
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  const std::vector<Token>& tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;   // for loops around the current statement (break/continue need one)
  int scope_depth_ = 0;  // for loops, macros and other scopes around the current statement
  bool in_macro_ = false;
};

// The filters and tests Jinja2 knows (its built-ins plus transformers' tojson); an unknown name
// is a syntax error in Jinja2, raised before anything renders.
bool is_known_filter(const std::string& name);
// See is_known_filter.
bool is_known_test(const std::string& name);

}  // namespace aha::jinja
