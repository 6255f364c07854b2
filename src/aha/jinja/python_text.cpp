#include "aha/jinja/python_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "aha/base/error.hpp"
#include "aha/jinja/utf8.hpp"

namespace aha::jinja {
namespace {

void append_escaped(std::string& out, char32_t cp, char quote) {
  if (cp == static_cast<char32_t>(quote) || cp == '\\') {
    out += '\\';
    out += static_cast<char>(cp);
  } else if (cp == '\n') {
    out += "\\n";
  } else if (cp == '\r') {
    out += "\\r";
  } else if (cp == '\t') {
    out += "\\t";
  } else if (is_python_printable(cp)) {
    append_utf8(out, cp);
  } else if (cp <= 0xFF) {
    out += fmt::format("\\x{:02x}", static_cast<unsigned>(cp));
  } else if (cp <= 0xFFFF) {
    out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
  } else {
    out += fmt::format("\\U{:08x}", static_cast<unsigned>(cp));
  }
}

std::string sequence_repr(const Value& value) {
  if (const char* view = value.view()) {
    if (std::string(view) == "range") fail("printing a range is not supported");
    return std::string(view) + "(" + sequence_repr(Value::make_list(value.items())) + ")";
  }
  const bool tuple = value.kind() == Kind::tuple;
  std::string out = tuple ? "(" : "[";
  const auto& items = value.items();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += python_repr(items[i]);
  }
  if (tuple && items.size() == 1) out += ",";
  out += tuple ? ")" : "]";
  return out;
}

std::string dict_repr(const Dict& dict) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : dict.entries()) {
    if (!first) out += ", ";
    first = false;
    out += python_repr(key) + ": " + python_repr(value);
  }
  return out + "}";
}

}  // namespace

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, result.ptr);  // "-d.dddde+XX", shortest round-trip digits
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exponent = std::atoi(sci.c_str() + e + 1);
  const int point = exponent + 1;  // digits are 0.d1d2... times 10^point
  const int n = static_cast<int>(digits.size());
  if (point > -4 && point <= 16) {
    if (point <= 0) return sign + "0." + std::string(-point, '0') + digits;
    if (point >= n) return sign + digits + std::string(point - n, '0') + ".0";
    return sign + digits.substr(0, point) + "." + digits.substr(point);
  }
  std::string mantissa = digits.substr(0, 1);
  if (n > 1) mantissa += "." + digits.substr(1);
  return fmt::format("{}{}e{}{:02d}", sign, mantissa, exponent < 0 ? '-' : '+', std::abs(exponent));
}

std::string string_repr(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  size_t pos = 0;
  while (pos < text.size()) append_escaped(out, next_code_point(text, pos), quote);
  out += quote;
  return out;
}

std::string python_str(const Value& value) {
  switch (value.kind()) {
    case Kind::undefined: return "";
    case Kind::string: return value.as_string();
    default: return python_repr(value);
  }
}

std::string python_repr(const Value& value) {
  switch (value.kind()) {
    case Kind::undefined: return "Undefined";
    case Kind::none: return "None";
    case Kind::boolean: return value.as_bool() ? "True" : "False";
    case Kind::integer: return std::to_string(value.as_int());
    case Kind::floating: return float_repr(value.as_double());
    case Kind::string: return string_repr(value.as_string());
    case Kind::list:
    case Kind::tuple: return sequence_repr(value);
    case Kind::dict: return dict_repr(value.as_dict());
    case Kind::object:
    case Kind::function: break;
  }
  fail("printing a {} is not supported (Python would print its memory address)", value.type_name());
}

}  // namespace aha::jinja
