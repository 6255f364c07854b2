#include "aha/jinja/is_tests.hpp"

#include <algorithm>
#include <cmath>

#include "aha/base/error.hpp"
#include "aha/jinja/objects.hpp"
#include "aha/jinja/operators.hpp"
#include "aha/jinja/parser.hpp"
#include "aha/jinja/python_text.hpp"
#include "aha/jinja/string_ops.hpp"

namespace aha::jinja {
namespace {

// Jinja2 3.1's built-in tests.
constexpr const char* kKnownTests[] = {
    "odd",     "even",   "divisibleby", "defined",  "undefined", "filter", "test",    "none",
    "boolean", "false",  "true",        "integer",  "float",     "lower",  "upper",   "string",
    "mapping", "number", "sequence",    "iterable", "callable",  "sameas", "escaped", "in",
    "==",      "eq",     "equalto",     "!=",       "ne",        ">",      "gt",      "greaterthan",
    ">=",      "ge",     "<",           "lt",       "lessthan",  "<=",     "le"};

const Value& one_argument(const std::string& name, const Arguments& args) {
  if (!args.keywords.empty() || args.positional.size() != 1) fail("the test '{}' takes exactly one argument", name);
  return args.positional[0];
}

void no_arguments(const std::string& name, const Arguments& args) {
  if (!args.keywords.empty() || !args.positional.empty()) fail("the test '{}' takes no arguments", name);
}

bool remainder_is(const Value& value, const Value& divisor, int64_t expected) {
  Budget budget{Limits{}};
  return equals(binary_op("%", value, divisor, budget), Value::from_int(expected));
}

bool is_sequence_like(const Value& v) {  // len() and __getitem__ both exist
  if (v.is_undefined() || v.is_string() || v.kind() == Kind::dict || v.kind() == Kind::tuple) return true;
  if (v.kind() == Kind::list) return !v.view() || std::string(v.view()) == "range";
  return false;
}

bool is_iterable_value(const Value& v) {
  switch (v.kind()) {
    case Kind::undefined:
    case Kind::string:
    case Kind::list:
    case Kind::tuple:
    case Kind::dict: return true;
    case Kind::object: return dynamic_cast<Iterator*>(&v.as_object()) || dynamic_cast<LoopContext*>(&v.as_object());
    default: return false;
  }
}

bool same_object(const Value& a, const Value& b) {
  if (a.kind() == Kind::none || a.kind() == Kind::boolean || a.kind() == Kind::undefined)
    return a.kind() == b.kind() && equals(a, b);
  if (b.kind() == Kind::none || b.kind() == Kind::boolean) return false;
  if (a.kind() == Kind::object && b.kind() == Kind::object) return a.object_identity() == b.object_identity();
  if (a.kind() == Kind::function && b.kind() == Kind::function) return &a.as_function() == &b.as_function();
  fail("the test 'sameas' on a {} and a {} is not supported (it depends on Python's object identity)", a.type_name(),
       b.type_name());
}

bool type_test(const std::string& name, const Value& v) {
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.kind() == Kind::boolean;
  if (name == "false") return v.kind() == Kind::boolean && !v.as_bool();
  if (name == "true") return v.kind() == Kind::boolean && v.as_bool();
  if (name == "integer") return v.kind() == Kind::integer;
  if (name == "float") return v.kind() == Kind::floating;
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.kind() == Kind::dict;
  if (name == "number") return v.is_number();
  if (name == "sequence") return is_sequence_like(v);
  if (name == "iterable") return is_iterable_value(v);
  if (name == "callable") return v.kind() == Kind::function;
  if (name == "escaped") return false;
  if (name == "lower")
    return py_lower(python_str(v), "islower") == python_str(v) && py_upper(python_str(v), "islower") != python_str(v);
  if (name == "upper")
    return py_upper(python_str(v), "isupper") == python_str(v) && py_lower(python_str(v), "isupper") != python_str(v);
  fail("the test '{}' is not supported", name);
}

}  // namespace

bool is_known_test(const std::string& name) {
  return std::any_of(std::begin(kKnownTests), std::end(kKnownTests), [&](const char* n) { return name == n; });
}

bool apply_test(const std::string& name, const Value& v, const Arguments& args) {
  if (name == "==" || name == "eq" || name == "equalto") return equals(v, one_argument(name, args));
  if (name == "!=" || name == "ne") return !equals(v, one_argument(name, args));
  if (name == "<" || name == "lt" || name == "lessthan") return compare_op("<", v, one_argument(name, args));
  if (name == "<=" || name == "le") return compare_op("<=", v, one_argument(name, args));
  if (name == ">" || name == "gt" || name == "greaterthan") return compare_op(">", v, one_argument(name, args));
  if (name == ">=" || name == "ge") return compare_op(">=", v, one_argument(name, args));
  if (name == "in") return contains(one_argument(name, args), v);
  if (name == "sameas") return same_object(v, one_argument(name, args));
  if (name == "divisibleby") return remainder_is(v, one_argument(name, args), 0);
  no_arguments(name, args);
  if (name == "filter") return v.is_string() && is_known_filter(v.as_string());
  if (name == "test") return v.is_string() && is_known_test(v.as_string());
  if (name == "odd") return remainder_is(v, Value::from_int(2), 1);
  if (name == "even") return remainder_is(v, Value::from_int(2), 0);
  return type_test(name, v);
}

}  // namespace aha::jinja
