// Filters on text and numbers: trim, lower, replace, indent, tojson, int, float, round, default, length.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "aha/base/error.hpp"
#include "aha/base/text.hpp"
#include "aha/jinja/arguments.hpp"
#include "aha/jinja/filters.hpp"
#include "aha/jinja/json_value.hpp"
#include "aha/jinja/operators.hpp"
#include "aha/jinja/python_text.hpp"
#include "aha/jinja/string_ops.hpp"
#include "aha/jinja/utf8.hpp"

namespace aha::jinja {
namespace {

// Digits with single underscores between them, as Python's int() and float() accept; returns
// the digits without underscores, or nullopt.
std::optional<std::string> digit_run(std::string_view s) {
  if (s.empty() || !is_digit(s.front()) || !is_digit(s.back())) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (!is_digit(s[i + 1])) return std::nullopt;  // "__"; a trailing '_' was refused above
      continue;
    }
    if (!is_digit(s[i])) return std::nullopt;
    out += s[i];
  }
  return out;
}

// Python's float(text), or nullopt where Python raises ValueError.
std::optional<double> parse_python_float(const std::string& text) {
  std::string s = py_strip(text, Side::both, nullptr);
  std::string sign;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s.substr(0, 1);
    s.erase(0, 1);
  }
  std::string lower = s;
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (lower == "inf" || lower == "infinity") return sign == "-" ? -INFINITY : INFINITY;
  if (lower == "nan") return NAN;
  const size_t e = lower.find('e');
  const std::string mantissa = lower.substr(0, e);
  const size_t dot = mantissa.find('.');
  const std::string whole = mantissa.substr(0, dot),
                    fraction = dot == std::string::npos ? "" : mantissa.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  std::string cleaned = sign;
  for (const std::string* part : {&whole, &fraction}) {
    if (part->empty()) continue;
    auto digits = digit_run(*part);
    if (!digits) return std::nullopt;
    cleaned += (part == &fraction ? "." : "") + *digits;
  }
  if (e != std::string::npos) {
    std::string exponent = lower.substr(e + 1);
    std::string exponent_sign;
    if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) {
      exponent_sign = exponent.substr(0, 1);
      exponent.erase(0, 1);
    }
    auto digits = digit_run(exponent);
    if (!digits) return std::nullopt;
    cleaned += "e" + exponent_sign + *digits;
  }
  return std::strtod(cleaned.c_str(), nullptr);
}

// Python's int(text) in base 10, or nullopt where Python raises ValueError.
std::optional<int64_t> parse_python_int(const std::string& text) {
  std::string s = py_strip(text, Side::both, nullptr);
  std::string sign;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s.substr(0, 1);
    s.erase(0, 1);
  }
  auto digits = digit_run(s);
  if (!digits) return std::nullopt;
  errno = 0;
  const long long v = std::strtoll((sign + *digits).c_str(), nullptr, 10);
  if (errno == ERANGE) fail("int: {} is too large (aha's integers are 64-bit)", text);
  return v;
}

std::optional<int64_t> float_to_int(double d) {
  if (std::isnan(d)) return std::nullopt;
  if (std::isinf(d)) fail("int: cannot convert float infinity to integer");
  if (d >= 9.2233720368547758e18 || d < -9.2233720368547758e18)
    fail("int: {} is too large (aha's integers are 64-bit)", float_repr(d));
  return static_cast<int64_t>(d);
}

// Python's float(value), or nullopt where Python raises TypeError or ValueError.
std::optional<double> to_float(const Value& v) {
  require_defined(v);
  if (v.is_number()) return v.as_double();
  if (v.is_string()) return parse_python_float(v.as_string());
  return std::nullopt;
}

Value filter_int(const Value& v, const Arguments& args) {
  auto a = bind_arguments("int", args, {"default", "base"});
  const Value fallback = a[0] ? *a[0] : Value::from_int(0);
  if (a[1] && !(a[1]->is_integral() && a[1]->as_int() == 10))
    fail("the filter int with a base other than 10 is not supported");
  require_defined(v);
  if (v.is_integral()) return Value::from_int(v.as_int());
  if (v.is_string())
    if (auto i = parse_python_int(v.as_string())) return Value::from_int(*i);
  if (auto d = to_float(v))
    if (auto i = float_to_int(*d)) return Value::from_int(*i);
  return fallback;
}

Value filter_float(const Value& v, const Arguments& args) {
  auto a = bind_arguments("float", args, {"default"});
  if (auto d = to_float(v)) return Value::from_double(*d);
  return a[0] ? *a[0] : Value::from_double(0.0);
}

Value filter_round(const Value& v, const Arguments& args) {
  auto a = bind_arguments("round", args, {"precision", "method"});
  const int64_t precision = a[0] ? int_argument(*a[0], "round", "precision") : 0;
  const std::string method = a[1] ? string_argument(*a[1], "round", "method") : "common";
  if (method != "common" && method != "ceil" && method != "floor") fail("round: method must be common, ceil or floor");
  require_defined(v);
  if (!v.is_number()) fail("round: expected a number, not {}", v.type_name());
  if (precision < 0 || precision > 300) fail("round with precision {} is not supported", precision);
  if (method == "common") {
    if (v.is_integral()) return Value::from_int(v.as_int());
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), v.as_double());  // exact, ties to even
    return Value::from_double(std::strtod(buf, nullptr));
  }
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double scaled = v.as_double() * scale;
  return Value::from_double((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

// Python's " " * n for an indent width: nothing when negative; widths past 4096 are refused.
size_t spaces(int64_t n, const char* filter) {
  if (n > 4096) fail("{}: an indent of {} spaces is not supported", filter, n);
  return n < 0 ? 0 : static_cast<size_t>(n);
}

Value filter_tojson(const Value& v, const Arguments& args) {
  auto a = bind_arguments("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonStyle style;
  style.ensure_ascii = a[0] && a[0]->truthy();
  if (a[1] && !a[1]->is_none()) {
    if (a[1]->is_string()) style.indent = a[1]->as_string();
    else style.indent = std::string(spaces(int_argument(*a[1], "tojson", "indent"), "tojson"), ' ');
    style.item_separator.assign(1, ',');  // not = ",": GCC 12 warns wrongly (bug 105651)
  }
  if (a[2] && !a[2]->is_none()) {
    if (!a[2]->is_sequence() || a[2]->items().size() != 2) fail("tojson: separators must be a pair of strings");
    style.item_separator = string_argument(a[2]->items()[0], "tojson", "separators");
    style.key_separator = string_argument(a[2]->items()[1], "tojson", "separators");
  }
  style.sort_keys = a[3] && a[3]->truthy();
  return Value::from_string(to_json(v, style));
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::string line;
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const char32_t cp = next_code_point(s, pos);
    const bool boundary = cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || (cp >= 0x1C && cp <= 0x1E) ||
                          cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    if (!boundary) {
      line += s.substr(start, pos - start);
      continue;
    }
    if (cp == '\r' && pos < s.size() && s[pos] == '\n') ++pos;
    lines.push_back(std::move(line));
    line.clear();
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

Value filter_indent(const Value& v, const Arguments& args, Budget& budget) {
  auto a = bind_arguments("indent", args, {"width", "first", "blank"});
  std::string indention = "    ";
  if (a[0])
    indention = a[0]->is_string() ? a[0]->as_string()
                                  : std::string(spaces(int_argument(*a[0], "indent", "width"), "indent"), ' ');
  require_defined(v);
  if (!v.is_string()) fail("indent: expected a string, not {}", v.type_name());
  const std::vector<std::string> lines = split_lines(v.as_string() + "\n");
  budget.check_size(v.as_string().size() + lines.size() * (indention.size() + 1));
  budget.charge(v.as_string().size() + lines.size() * (indention.size() + 1));
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += "\n";
    const bool indent_line = i == 0 ? a[1] && a[1]->truthy() : !lines[i].empty() || (a[2] && a[2]->truthy());
    if (indent_line) out += indention;
    out += lines[i];
  }
  return Value::from_string(std::move(out));
}

Value filter_abs(const Value& v) {
  require_defined(v);
  if (v.is_integral()) {
    if (v.as_int() == std::numeric_limits<int64_t>::min()) fail("integer overflow (aha's integers are 64-bit)");
    return Value::from_int(std::llabs(v.as_int()));
  }
  if (v.kind() == Kind::floating) return Value::from_double(std::fabs(v.as_double()));
  fail("bad operand type for abs(): '{}'", v.type_name());
}

Value filter_replace(const Value& v, const Arguments& args, Budget& budget) {
  auto a = bind_arguments("replace", args, {"old", "new", "count"});
  if (!a[0] || !a[1]) fail("replace: old and new are required");
  const int64_t count = a[2] && !a[2]->is_none() ? int_argument(*a[2], "replace", "count") : -1;
  const std::string s = python_str(v), old = python_str(*a[0]), replacement = python_str(*a[1]);
  const size_t occurrences = old.empty() ? code_point_count(s) + 1 : static_cast<size_t>(py_count(s, old));
  budget.check_size(s.size() + occurrences * replacement.size());
  budget.charge(s.size() + occurrences * replacement.size());
  return Value::from_string(py_replace(s, old, replacement, count));
}

}  // namespace

std::optional<Value> apply_text_filter(const std::string& name, const Value& v, const Arguments& args, Budget& budget) {
  if (name == "trim") {
    auto a = bind_arguments(name, args, {"chars"});
    const std::string* chars = a[0] && !a[0]->is_none() ? &string_argument(*a[0], name, "chars") : nullptr;
    return Value::from_string(py_strip(python_str(v), Side::both, chars));
  }
  if (name == "lower" || name == "upper" || name == "title" || name == "capitalize" || name == "string") {
    bind_arguments(name, args, {});
    const std::string s = python_str(v);
    if (name == "lower") return Value::from_string(py_lower(s));
    if (name == "upper") return Value::from_string(py_upper(s));
    if (name == "title") return Value::from_string(py_title(s));
    if (name == "capitalize") return Value::from_string(py_capitalize(s));
    return v.is_string() ? v : Value::from_string(s);
  }
  if (name == "default" || name == "d") {
    auto a = bind_arguments(name, args, {"default_value", "boolean"});
    const bool use_default = v.is_undefined() || (a[1] && a[1]->truthy() && !v.truthy());
    return use_default ? (a[0] ? *a[0] : Value::from_string("")) : v;
  }
  if (name == "length" || name == "count") {
    bind_arguments(name, args, {});
    return Value::from_int(length_of(v));
  }
  if (name == "tojson") return filter_tojson(v, args);
  if (name == "int") return filter_int(v, args);
  if (name == "float") return filter_float(v, args);
  if (name == "round") return filter_round(v, args);
  if (name == "indent") return filter_indent(v, args, budget);
  if (name == "replace") return filter_replace(v, args, budget);
  if (name == "abs") {
    bind_arguments(name, args, {});
    return filter_abs(v);
  }
  return std::nullopt;
}

}  // namespace aha::jinja
