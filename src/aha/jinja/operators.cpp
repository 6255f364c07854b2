#include "aha/jinja/operators.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "aha/base/error.hpp"
#include "aha/jinja/methods.hpp"
#include "aha/jinja/objects.hpp"
#include "aha/jinja/python_text.hpp"
#include "aha/jinja/string_ops.hpp"
#include "aha/jinja/utf8.hpp"

namespace aha::jinja {
namespace {

[[noreturn]] void overflow() { fail("integer overflow (aha's integers are 64-bit)"); }
[[noreturn]] void division_by_zero() { fail("division by zero"); }

int64_t int_power(int64_t base, int64_t exponent) {
  int64_t result = 1;
  while (exponent > 0) {
    if ((exponent & 1) && __builtin_mul_overflow(result, base, &result)) overflow();
    exponent >>= 1;
    if (exponent > 0 && __builtin_mul_overflow(base, base, &base)) overflow();
  }
  return result;
}

Value integer_op(const std::string& op, int64_t x, int64_t y) {
  int64_t r = 0;
  if (op == "+" || op == "-" || op == "*") {
    const bool overflowed = op == "+"   ? __builtin_add_overflow(x, y, &r)
                            : op == "-" ? __builtin_sub_overflow(x, y, &r)
                                        : __builtin_mul_overflow(x, y, &r);
    if (overflowed) overflow();
    return Value::from_int(r);
  }
  if (op == "/") {
    if (y == 0) division_by_zero();
    return Value::from_double(static_cast<double>(x) / static_cast<double>(y));
  }
  if (op == "//" || op == "%") {
    if (y == 0) division_by_zero();
    if (x == std::numeric_limits<int64_t>::min() && y == -1) {
      if (op == "%") return Value::from_int(0);
      overflow();
    }
    int64_t q = x / y, m = x % y;
    if (m != 0 && ((m < 0) != (y < 0))) {  // Python floors towards negative infinity
      --q;
      m += y;
    }
    return Value::from_int(op == "//" ? q : m);
  }
  if (y >= 0) return Value::from_int(int_power(x, y));
  if (x == 0) fail("0 cannot be raised to a negative power");
  return Value::from_double(std::pow(static_cast<double>(x), static_cast<double>(y)));
}

Value float_op(const std::string& op, double x, double y) {
  if (op == "+") return Value::from_double(x + y);
  if (op == "-") return Value::from_double(x - y);
  if (op == "*") return Value::from_double(x * y);
  if (op == "/") {
    if (y == 0) division_by_zero();
    return Value::from_double(x / y);
  }
  if (op == "//" || op == "%") {  // CPython's float_divmod
    if (y == 0) division_by_zero();
    double mod = std::fmod(x, y);
    double div = (x - mod) / y;
    if (mod != 0) {
      if ((y < 0) != (mod < 0)) {
        mod += y;
        div -= 1.0;
      }
    } else {
      mod = std::copysign(0.0, y);
    }
    double floor_div = 0;
    if (div != 0) {
      floor_div = std::floor(div);
      if (div - floor_div > 0.5) floor_div += 1.0;
    } else {
      floor_div = std::copysign(0.0, x / y);
    }
    return Value::from_double(op == "//" ? floor_div : mod);
  }
  if (x == 0 && y < 0) fail("0.0 cannot be raised to a negative power");
  if (x < 0 && std::isfinite(y) && y != std::floor(y))
    fail("a negative number to a fractional power is complex (not supported)");
  const double r = std::pow(x, y);
  if (std::isinf(r) && std::isfinite(x) && std::isfinite(y)) fail("float power overflows");
  return Value::from_double(r);
}

Value repeat(const Value& seq, int64_t times, Budget& budget) {
  if (times <= 0)
    return seq.is_string()             ? Value::from_string("")
           : seq.kind() == Kind::tuple ? Value::make_tuple({})
                                       : Value::make_list({});
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    if (!s.empty() && static_cast<uint64_t>(times) > budget.limits().max_output_bytes / s.size())
      budget.check_size(SIZE_MAX);
    budget.check_size(s.size() * static_cast<size_t>(times));
    budget.charge(s.size() * static_cast<size_t>(times));
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(times));
    for (int64_t i = 0; i < times; ++i) out += s;
    return Value::from_string(std::move(out));
  }
  const auto& items = seq.items();
  if (!items.empty() && static_cast<uint64_t>(times) > budget.limits().max_output_bytes / items.size())
    budget.check_size(SIZE_MAX);
  budget.check_size(items.size() * static_cast<size_t>(times) * sizeof(Value));
  budget.charge(items.size() * static_cast<size_t>(times) * sizeof(Value));
  std::vector<Value> out;
  out.reserve(items.size() * static_cast<size_t>(times));
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.kind() == Kind::tuple ? Value::make_tuple(std::move(out)) : Value::make_list(std::move(out));
}

bool plain_sequence(const Value& v) { return v.is_sequence() && !v.view(); }

std::optional<int64_t> slice_bound(const Value& v, bool& ok) {
  if (v.is_none()) return std::nullopt;
  if (!v.is_integral()) ok = false;
  return ok ? std::optional<int64_t>(v.as_int()) : std::nullopt;
}

}  // namespace

Value attribute_only(const Value& object, const std::string& name, Budget& budget) {
  require_defined(object);
  if (!name.empty() && name[0] == '_') fail("access to attribute '{}' of a {} is unsafe", name, object.type_name());
  if (object.kind() == Kind::object) {
    if (auto found = object.as_object().attribute(name)) return *found;
  } else if (object.kind() != Kind::function) {
    if (auto found = python_attribute(object, name, budget)) return *found;
  }
  return Value::undefined(fmt::format("'{} object' has no attribute '{}'", object.type_name(), name));
}

void require_defined(const Value& value) {
  if (value.is_undefined()) fail("{}", value.undefined_hint());
}

Value binary_op(const std::string& op, const Value& a, const Value& b, Budget& budget) {
  require_defined(a);
  require_defined(b);
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) return integer_op(op, a.as_int(), b.as_int());
    return float_op(op, a.as_double(), b.as_double());
  }
  if (op == "+" && a.is_string() && b.is_string()) {
    budget.check_size(a.as_string().size() + b.as_string().size());
    budget.charge(a.as_string().size() + b.as_string().size());
    return Value::from_string(a.as_string() + b.as_string());
  }
  if (op == "+" && plain_sequence(a) && plain_sequence(b) && a.kind() == b.kind()) {
    budget.check_size((a.items().size() + b.items().size()) * sizeof(Value));
    budget.charge((a.items().size() + b.items().size()) * sizeof(Value));
    std::vector<Value> items = a.items();
    items.insert(items.end(), b.items().begin(), b.items().end());
    return a.kind() == Kind::tuple ? Value::make_tuple(std::move(items)) : Value::make_list(std::move(items));
  }
  if (op == "*") {
    if ((a.is_string() || plain_sequence(a)) && b.is_integral()) return repeat(a, b.as_int(), budget);
    if ((b.is_string() || plain_sequence(b)) && a.is_integral()) return repeat(b, a.as_int(), budget);
  }
  if (op == "%" && a.is_string()) fail("string formatting with '%' is not supported");
  fail("unsupported operand types for {}: '{}' and '{}'", op, a.type_name(), b.type_name());
}

Value unary_op(const Value& a, bool positive) {
  require_defined(a);
  if (a.is_integral()) {
    if (positive) return Value::from_int(a.as_int());
    if (a.as_int() == std::numeric_limits<int64_t>::min()) overflow();
    return Value::from_int(-a.as_int());
  }
  if (a.kind() == Kind::floating) return Value::from_double(positive ? a.as_double() : -a.as_double());
  fail("bad operand type for unary {}: '{}'", positive ? '+' : '-', a.type_name());
}

bool compare_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return equals(a, b);
  if (op == "!=") return !equals(a, b);
  if (op == "in") return contains(b, a);
  if (op == "notin") return !contains(b, a);
  if (a.is_undefined() || b.is_undefined()) require_defined(a.is_undefined() ? a : b);
  const int c = compare(a, b);
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Kind::undefined: return false;
    case Kind::string:
      if (!item.is_string()) fail("'in <string>' requires a string as left operand, not {}", item.type_name());
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Kind::list:
    case Kind::tuple:
      for (const Value& v : container.items())
        if (equals(v, item)) return true;
      return false;
    case Kind::dict: return container.as_dict().find(item) != nullptr;
    case Kind::object:
      if (auto* it = dynamic_cast<Iterator*>(&container.as_object())) {
        while (auto v = it->take())
          if (equals(*v, item)) return true;
        return false;
      }
      break;
    default: break;
  }
  fail("argument of type '{}' is not iterable", container.type_name());
}

std::vector<Value> iterate(const Value& value) {
  switch (value.kind()) {
    case Kind::undefined: return {};
    case Kind::list:
    case Kind::tuple: return value.items();
    case Kind::dict: {
      std::vector<Value> keys;
      for (const auto& entry : value.as_dict().entries()) keys.push_back(entry.first);
      return keys;
    }
    case Kind::string: {
      std::vector<Value> chars;
      const std::string& s = value.as_string();
      for (size_t pos = 0; pos < s.size();) {
        const size_t start = pos;
        next_code_point(s, pos);
        chars.push_back(Value::from_string(s.substr(start, pos - start)));
      }
      return chars;
    }
    case Kind::object:
      if (auto* it = dynamic_cast<Iterator*>(&value.as_object())) return it->drain();
      break;
    default: break;
  }
  fail("'{}' object is not iterable", value.type_name());
}

int64_t length_of(const Value& value) {
  switch (value.kind()) {
    case Kind::undefined: return 0;
    case Kind::string: return static_cast<int64_t>(code_point_count(value.as_string()));
    case Kind::list:
    case Kind::tuple: return static_cast<int64_t>(value.items().size());
    case Kind::dict: return static_cast<int64_t>(value.as_dict().size());
    case Kind::object:
      if (dynamic_cast<LoopContext*>(&value.as_object())) return value.as_object().attribute("length")->as_int();
      break;
    default: break;
  }
  fail("object of type '{}' has no len()", value.type_name());
}

Value get_attribute(const Value& object, const std::string& name, Budget& budget) {
  require_defined(object);
  if (object.kind() == Kind::dict && !(name.size() && name[0] == '_')) {
    if (auto method = python_attribute(object, name, budget)) return *method;
    if (const Value* v = object.as_dict().find(name)) return *v;
    return Value::undefined(fmt::format("'dict object' has no attribute '{}'", name));
  }
  return attribute_only(object, name, budget);
}

Value get_item(const Value& object, const Value& key, Budget& budget) {
  require_defined(object);
  if (object.kind() == Kind::dict) {
    const bool hashable_key = key.kind() != Kind::list && key.kind() != Kind::dict;
    if (hashable_key)
      if (const Value* v = object.as_dict().find(key)) return *v;
  } else if ((plain_sequence(object) || (object.view() && std::string(object.view()) == "range")) &&
             key.is_integral()) {
    const auto& items = object.items();
    int64_t i = key.as_int();
    if (i < 0) i += static_cast<int64_t>(items.size());
    if (i >= 0 && i < static_cast<int64_t>(items.size())) return items[static_cast<size_t>(i)];
  } else if (object.is_string() && key.is_integral()) {
    const std::vector<size_t> at = code_point_offsets(object.as_string());
    int64_t i = key.as_int();
    const auto n = static_cast<int64_t>(at.size()) - 1;
    if (i < 0) i += n;
    if (i >= 0 && i < n) return Value::from_string(object.as_string().substr(at[i], at[i + 1] - at[i]));
  }
  if (key.is_string()) return attribute_only(object, key.as_string(), budget);
  return Value::undefined(fmt::format("'{} object' has no element {}", object.type_name(), python_repr(key)));
}

Value get_slice(const Value& object, const Value& start, const Value& stop, const Value& step) {
  require_defined(object);
  const bool range = object.view() && std::string(object.view()) == "range";
  if (!object.is_string() && !plain_sequence(object) && !range)
    return Value::undefined(fmt::format("'{} object' cannot be sliced", object.type_name()));
  bool ok = true;
  const auto b0 = slice_bound(start, ok), b1 = slice_bound(stop, ok), b2 = slice_bound(step, ok);
  if (!ok) return Value::undefined("slice indices must be integers or None");
  if (object.is_string()) {
    const std::string& s = object.as_string();
    const std::vector<size_t> at = code_point_offsets(s);
    const SliceRange r = slice_indices(b0, b1, b2, static_cast<int64_t>(at.size()) - 1);
    if (r.step == 1) return Value::from_string(r.start < r.stop ? s.substr(at[r.start], at[r.stop] - at[r.start]) : "");
    std::string out;
    for (int64_t i : slice_positions(r)) out += s.substr(at[i], at[i + 1] - at[i]);
    return Value::from_string(std::move(out));
  }
  const auto& items = object.items();
  std::vector<Value> out;
  for (int64_t i : slice_positions(slice_indices(b0, b1, b2, static_cast<int64_t>(items.size()))))
    out.push_back(items[static_cast<size_t>(i)]);
  if (range) return Value::make_view("range", std::move(out));
  return object.kind() == Kind::tuple ? Value::make_tuple(std::move(out)) : Value::make_list(std::move(out));
}

}  // namespace aha::jinja
