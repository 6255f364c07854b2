// The evaluator: runs a parsed template against variables, with Jinja2's scoping (for loops,
// macros, with and set blocks get scopes of their own; if does not) and within Limits.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "aha/jinja/ast.hpp"
#include "aha/jinja/budget.hpp"
#include "aha/jinja/objects.hpp"
#include "aha/jinja/value.hpp"

namespace aha::jinja {

class Renderer {
 public:
  Renderer(const std::vector<Stmt>& program, const std::unordered_map<std::string, Value>& variables,
           const Limits& limits);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // Renders the whole template; throws on the first error (line() says where).
  std::string render();
  // The template line of the statement or expression evaluated last.
  int line() const { return line_; }

 private:
  enum class Flow { normal, break_loop, continue_loop };
  struct Scope {
    Scope* parent = nullptr;
    std::unordered_map<std::string, Value> vars;
  };
  struct DepthGuard {
    explicit DepthGuard(Renderer& renderer);
    ~DepthGuard() { --renderer.depth_; }
    Renderer& renderer;
  };

  Flow exec_body(const std::vector<Stmt>& body);
  Flow exec(const Stmt& stmt);
  Flow exec_if(const Stmt& stmt);
  void exec_for(const Stmt& stmt);
  Flow exec_with(const Stmt& stmt);
  void exec_set_block(const Stmt& stmt);
  void exec_filter_block(const Stmt& stmt);
  void assign(const Target& target, const Value& value, Scope& scope);
  std::string capture(const std::vector<Stmt>& body, Scope& scope);
  Value apply_filters(const Expr& chain, Value body);
  Value call_macro(const Stmt& macro, Arguments& args);
  void write(const std::string& text);

  Value eval(const Expr& expr);
  Value eval_call(const Expr& expr);
  Value eval_compare(const Expr& expr);
  Value eval_sequence(const Expr& expr);
  Value eval_dict(const Expr& expr);
  Arguments eval_arguments(const Expr& expr, size_t first);
  Value lookup(const std::string& name) const;

  const std::vector<Stmt>& program_;
  const std::unordered_map<std::string, Value>& variables_;
  Budget budget_;
  std::unordered_map<std::string, Value> globals_;
  std::vector<std::shared_ptr<Namespace>> namespaces_;
  Scope root_;
  Scope* scope_ = &root_;
  std::string* out_ = nullptr;
  const Value* placeholder_ = nullptr;
  int depth_ = 0;
  int call_depth_ = 0;
  int line_ = 0;
};

}  // namespace aha::jinja
