#include "aha/jinja/renderer.hpp"

#include <fmt/format.h>

#include "aha/base/error.hpp"
#include "aha/jinja/filters.hpp"
#include "aha/jinja/globals.hpp"
#include "aha/jinja/is_tests.hpp"
#include "aha/jinja/operators.hpp"
#include "aha/jinja/python_text.hpp"

namespace aha::jinja {
namespace {

// Nesting of evaluation (statements, expressions and macro calls together) that one render may
// reach; it bounds the native stack the interpreter uses.
constexpr int kMaxEvalDepth = 1000;

}  // namespace

Renderer::DepthGuard::DepthGuard(Renderer& r) : renderer(r) {
  if (++renderer.depth_ > kMaxEvalDepth) fail("the template nests evaluation more than {} levels deep", kMaxEvalDepth);
}

Renderer::Renderer(const std::vector<Stmt>& program, const std::unordered_map<std::string, Value>& variables,
                   const Limits& limits)
    : program_(program), variables_(variables), budget_(limits) {
  globals_ = make_globals(budget_, [this](std::shared_ptr<Namespace> ns) { namespaces_.push_back(std::move(ns)); });
}

Renderer::~Renderer() {
  for (auto& ns : namespaces_) ns->clear();
}

std::string Renderer::render() {
  std::string out;
  out_ = &out;
  exec_body(program_);
  return out;
}

void Renderer::write(const std::string& text) {
  budget_.check_size(out_->size() + text.size());
  out_->append(text);
}

Renderer::Flow Renderer::exec_body(const std::vector<Stmt>& body) {
  for (const Stmt& stmt : body) {
    const Flow flow = exec(stmt);
    if (flow != Flow::normal) return flow;
  }
  return Flow::normal;
}

Renderer::Flow Renderer::exec(const Stmt& stmt) {
  DepthGuard guard(*this);
  budget_.step();
  line_ = stmt.line;
  switch (stmt.kind) {
    case StmtKind::text: write(stmt.text); break;
    case StmtKind::output: write(python_str(eval(stmt.exprs[0]))); break;
    case StmtKind::if_: return exec_if(stmt);
    case StmtKind::for_: exec_for(stmt); break;
    case StmtKind::set: assign(stmt.targets[0], eval(stmt.exprs[0]), *scope_); break;
    case StmtKind::set_block: exec_set_block(stmt); break;
    case StmtKind::macro:
      scope_->vars[stmt.text] =
          Value::make_function(stmt.text, [this, &stmt](Arguments& args) { return call_macro(stmt, args); });
      break;
    case StmtKind::break_: return Flow::break_loop;
    case StmtKind::continue_: return Flow::continue_loop;
    case StmtKind::with: return exec_with(stmt);
    case StmtKind::filter_block: exec_filter_block(stmt); break;
  }
  return Flow::normal;
}

Renderer::Flow Renderer::exec_if(const Stmt& stmt) {
  for (size_t i = 0; i < stmt.exprs.size(); ++i)
    if (eval(stmt.exprs[i]).truthy()) return exec_body(stmt.bodies[i]);
  return exec_body(stmt.bodies.back());
}

void Renderer::exec_for(const Stmt& stmt) {
  std::vector<Value> items = iterate(eval(stmt.exprs[0]));
  if (stmt.exprs.size() > 1) {  // {% for x in xs if condition %}: filtered before the loop counts them
    std::vector<Value> kept;
    for (Value& item : items) {
      Scope scope{scope_, {}};
      assign(stmt.targets[0], item, scope);
      Scope* outer = scope_;
      scope_ = &scope;
      const bool keep = eval(stmt.exprs[1]).truthy();
      scope_ = outer;
      if (keep) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  Scope* outer = scope_;
  if (items.empty()) {
    Scope scope{outer, {}};
    scope_ = &scope;
    exec_body(stmt.bodies[1]);
    scope_ = outer;
    return;
  }
  auto loop = std::make_shared<LoopContext>(items);
  const Value loop_value = Value::make_object(loop);
  for (size_t i = 0; i < items.size(); ++i) {
    Scope scope{outer, {}};  // every iteration starts afresh from the enclosing scope, as in Jinja2
    assign(stmt.targets[0], items[i], scope);
    scope.vars["loop"] = loop_value;
    loop->set_index(i);
    scope_ = &scope;
    const Flow flow = exec_body(stmt.bodies[0]);
    scope_ = outer;
    if (flow == Flow::break_loop) break;
  }
}

Renderer::Flow Renderer::exec_with(const Stmt& stmt) {
  Scope scope{scope_, {}};
  for (size_t i = 0; i < stmt.targets.size(); ++i) assign(stmt.targets[i], eval(stmt.exprs[i]), scope);
  Scope* outer = scope_;
  scope_ = &scope;
  const Flow flow = exec_body(stmt.bodies[0]);
  scope_ = outer;
  return flow;
}

void Renderer::exec_set_block(const Stmt& stmt) {
  Scope scope{scope_, {}};
  Value body = Value::from_string(capture(stmt.bodies[0], scope));
  if (!stmt.exprs.empty()) body = apply_filters(stmt.exprs[0], std::move(body));
  assign(stmt.targets[0], body, *scope_);
}

void Renderer::exec_filter_block(const Stmt& stmt) {
  Scope scope{scope_, {}};
  const Value body = Value::from_string(capture(stmt.bodies[0], scope));
  write(python_str(apply_filters(stmt.exprs[0], body)));
}

Value Renderer::apply_filters(const Expr& chain, Value body) {
  const Value* saved = placeholder_;
  placeholder_ = &body;
  Value result = eval(chain);
  placeholder_ = saved;
  return result;
}

std::string Renderer::capture(const std::vector<Stmt>& body, Scope& scope) {
  std::string text;
  std::string* saved_out = out_;
  Scope* saved_scope = scope_;
  out_ = &text;
  scope_ = &scope;
  exec_body(body);
  out_ = saved_out;
  scope_ = saved_scope;
  return text;
}

void Renderer::assign(const Target& target, const Value& value, Scope& scope) {
  if (!target.attribute.empty()) {
    const Value holder = lookup(target.names[0]);
    auto* ns = holder.kind() == Kind::object ? dynamic_cast<Namespace*>(&holder.as_object()) : nullptr;
    if (!ns) fail("cannot assign attribute on non-namespace object '{}'", target.names[0]);
    ns->set(target.attribute, value);
    return;
  }
  if (!target.unpack) {
    scope.vars[target.names[0]] = value;
    return;
  }
  const std::vector<Value> items = iterate(value);
  if (items.size() != target.names.size())
    fail("cannot unpack {} values into {} names", items.size(), target.names.size());
  for (size_t i = 0; i < items.size(); ++i) scope.vars[target.names[i]] = items[i];
}

Value Renderer::call_macro(const Stmt& macro, Arguments& args) {
  if (call_depth_ >= budget_.limits().max_call_depth)
    fail("macros call each other more than {} deep", budget_.limits().max_call_depth);
  const size_t n = macro.params.size();
  if (args.positional.size() > n)
    fail("macro '{}' takes {} arguments, {} given", macro.text, n, args.positional.size());
  Scope scope{&root_, {}};  // a macro sees the template's top-level variables, not its caller's
  std::vector<bool> given(n, false);
  for (size_t i = 0; i < args.positional.size(); ++i) {
    scope.vars[macro.params[i]] = args.positional[i];
    given[i] = true;
  }
  for (auto& [key, value] : args.keywords) {
    size_t i = 0;
    while (i < n && macro.params[i] != key) ++i;
    if (i == n) fail("macro '{}' has no parameter named '{}'", macro.text, key);
    if (given[i]) fail("macro '{}' got multiple values for '{}'", macro.text, key);
    scope.vars[key] = value;
    given[i] = true;
  }
  ++call_depth_;
  Scope* saved = scope_;
  scope_ = &scope;
  for (size_t i = 0; i < n; ++i) {
    if (given[i]) continue;
    scope.vars[macro.params[i]] =
        macro.defaults[i].kind == ExprKind::absent
            ? Value::undefined(fmt::format("parameter '{}' was not provided", macro.params[i]))
            : eval(macro.defaults[i]);
  }
  scope_ = saved;
  std::string text = capture(macro.bodies[0], scope);
  --call_depth_;
  return Value::from_string(std::move(text));
}

Value Renderer::lookup(const std::string& name) const {
  for (const Scope* s = scope_; s; s = s->parent)
    if (auto it = s->vars.find(name); it != s->vars.end()) return it->second;
  if (auto it = variables_.find(name); it != variables_.end()) return it->second;
  if (auto it = globals_.find(name); it != globals_.end()) return it->second;
  return Value::undefined(fmt::format("'{}' is undefined", name));
}

Value Renderer::eval(const Expr& e) {
  DepthGuard guard(*this);
  budget_.step();
  line_ = e.line;
  switch (e.kind) {
    case ExprKind::constant: return e.constant;
    case ExprKind::name: return lookup(e.text);
    case ExprKind::list:
    case ExprKind::tuple: return eval_sequence(e);
    case ExprKind::dict: return eval_dict(e);
    case ExprKind::attribute: return get_attribute(eval(e.args[0]), e.text, budget_);
    case ExprKind::item: {
      const Value object = eval(e.args[0]);
      return get_item(object, eval(e.args[1]), budget_);
    }
    case ExprKind::slice: {
      const Value object = eval(e.args[0]);
      const Value start = eval(e.args[1]), stop = eval(e.args[2]), step = eval(e.args[3]);
      return get_slice(object, start, stop, step);
    }
    case ExprKind::not_: return Value::from_bool(!eval(e.args[0]).truthy());
    case ExprKind::negative: return unary_op(eval(e.args[0]), false);
    case ExprKind::positive: return unary_op(eval(e.args[0]), true);
    case ExprKind::binary: {
      const Value left = eval(e.args[0]);
      return binary_op(e.text, left, eval(e.args[1]), budget_);
    }
    case ExprKind::concat: {
      std::string text;
      for (const Expr& part : e.args) {
        text += python_str(eval(part));
        budget_.check_size(text.size());
      }
      budget_.charge(text.size());
      return Value::from_string(std::move(text));
    }
    case ExprKind::compare: return eval_compare(e);
    case ExprKind::and_: {
      Value left = eval(e.args[0]);
      return left.truthy() ? eval(e.args[1]) : left;
    }
    case ExprKind::or_: {
      Value left = eval(e.args[0]);
      return left.truthy() ? left : eval(e.args[1]);
    }
    case ExprKind::conditional:
      if (eval(e.args[0]).truthy()) return eval(e.args[1]);
      if (e.args.size() > 2) return eval(e.args[2]);
      return Value::undefined(fmt::format(
          "the inline if-expression on line {} evaluated to false and no else section was defined", e.line));
    case ExprKind::call: return eval_call(e);
    case ExprKind::filter: {
      const Value operand = eval(e.args[0]);
      const Arguments args = eval_arguments(e, 1);
      return apply_filter(e.text, operand, args, budget_);
    }
    case ExprKind::test: {
      const Value operand = eval(e.args[0]);
      const Arguments args = eval_arguments(e, 1);
      return Value::from_bool(apply_test(e.text, operand, args));
    }
    case ExprKind::placeholder: return *placeholder_;
    case ExprKind::absent: break;
  }
  return Value::undefined("");
}

Value Renderer::eval_sequence(const Expr& e) {
  std::vector<Value> items;
  items.reserve(e.args.size());
  for (const Expr& item : e.args) items.push_back(eval(item));
  return e.kind == ExprKind::tuple ? Value::make_tuple(std::move(items)) : Value::make_list(std::move(items));
}

Value Renderer::eval_dict(const Expr& e) {
  Dict dict;
  for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
    Value key = eval(e.args[i]);
    dict.set(key, eval(e.args[i + 1]));
  }
  return Value::make_dict(std::move(dict));
}

Value Renderer::eval_compare(const Expr& e) {
  Value left = eval(e.args[0]);
  for (size_t i = 0; i < e.keywords.size(); ++i) {
    Value right = eval(e.args[i + 1]);
    if (!compare_op(e.keywords[i], left, right)) return Value::from_bool(false);
    left = std::move(right);
  }
  return Value::from_bool(true);
}

Arguments Renderer::eval_arguments(const Expr& e, size_t first) {
  Arguments args;
  const size_t keyword_start = e.args.size() - e.keywords.size();
  for (size_t i = first; i < keyword_start; ++i) args.positional.push_back(eval(e.args[i]));
  for (size_t i = keyword_start; i < e.args.size(); ++i)
    args.keywords.emplace_back(e.keywords[i - keyword_start], eval(e.args[i]));
  return args;
}

Value Renderer::eval_call(const Expr& e) {
  const Value callee = eval(e.args[0]);
  Arguments args = eval_arguments(e, 1);
  require_defined(callee);
  if (callee.kind() != Kind::function) fail("'{}' object is not callable", callee.type_name());
  return callee.as_function().call(args);
}

}  // namespace aha::jinja
