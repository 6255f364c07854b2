// The syntax tree of a parsed template: expressions and statements.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/jinja/value.hpp"

namespace aha::jinja {

enum class ExprKind : uint8_t {
  constant,     // constant
  name,         // text: the variable
  list,         // args: the items
  tuple,        // args: the items
  dict,         // args: key, value, key, value, ...
  attribute,    // args[0].text
  item,         // args[0][args[1]]
  slice,        // args[0][args[1]:args[2]:args[3]]; absent parts are None constants
  not_,         // not args[0]
  negative,     // -args[0]
  positive,     // +args[0]
  binary,       // args[0] text args[1]; text is + - * / // % **
  concat,       // args[0] ~ args[1] ~ ...
  compare,      // args[0] ops[0] args[1] ops[1] args[2] ...; ops are == != < <= > >= in notin
  and_,         // args[0] and args[1]
  or_,          // args[0] or args[1]
  conditional,  // args[1] if args[0] else args[2]; without else, args has two entries
  call,         // args[0](args[1:]); the last keywords.size() arguments are keywords
  filter,       // args[0] | text(args[1:]); keywords as for call
  test,         // args[0] is text(args[1:]); keywords as for call
  placeholder,  // the body of a filter block or a set block, as the operand of its filters
  absent,       // a macro parameter without a default
};

// How deeply expressions may nest (`1 + 1 + 1 ...` nests once per operator).
constexpr int kMaxExprDepth = 200;

struct Expr {
  ExprKind kind = ExprKind::absent;
  int line = 0;
  int depth = 1;  // 1 + the deepest argument
  std::string text;
  Value constant;
  std::vector<Expr> args;
  std::vector<std::string> keywords;  // call, filter, test: keyword names; compare: the operators
};

enum class StmtKind : uint8_t {
  text,       // text: template data
  output,     // {{ exprs[0] }} or {% print exprs[0] %}
  if_,        // exprs: one test per branch; bodies: one per test, then the else body
  for_,       // targets[0] in exprs[0] [if exprs[1]]; bodies: loop body, else body
  set,        // targets[0] = exprs[0]
  set_block,  // {% set targets[0] | exprs[0] %}bodies[0]{% endset %}; exprs empty without filters
  macro,      // text: the name; params and defaults; bodies[0]
  break_,
  continue_,
  with,          // targets[i] = exprs[i] in a new scope around bodies[0]; also {% generation %}
  filter_block,  // {% filter exprs[0] %}bodies[0]{% endfilter %}
};

// What a for loop or a set statement assigns to.
struct Target {
  std::vector<std::string> names;  // one name, or several to unpack a sequence into
  bool unpack = false;
  std::string attribute;  // `set ns.attribute = ...`: names[0] is the namespace
};

struct Stmt {
  StmtKind kind = StmtKind::text;
  int line = 0;
  std::string text;
  std::vector<Expr> exprs;
  std::vector<Target> targets;
  std::vector<std::vector<Stmt>> bodies;
  std::vector<std::string> params;  // macro parameter names
  std::vector<Expr> defaults;       // macro parameter defaults (kind absent for none)
};

}  // namespace aha::jinja
