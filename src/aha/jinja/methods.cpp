#include "aha/jinja/methods.hpp"

#include <algorithm>
#include <cstring>

#include "aha/base/error.hpp"
#include "aha/jinja/arguments.hpp"
#include "aha/jinja/operators.hpp"
#include "aha/jinja/string_ops.hpp"
#include "aha/jinja/utf8.hpp"

namespace aha::jinja {
namespace {

// Every public attribute of Python 3.11's built-in types (dir(), without the dunders).
constexpr const char* kStrAttributes[] = {
    "capitalize",   "casefold",   "center",    "count",       "encode",    "endswith",     "expandtabs",   "find",
    "format",       "format_map", "index",     "isalnum",     "isalpha",   "isascii",      "isdecimal",    "isdigit",
    "isidentifier", "islower",    "isnumeric", "isprintable", "isspace",   "istitle",      "isupper",      "join",
    "ljust",        "lower",      "lstrip",    "maketrans",   "partition", "removeprefix", "removesuffix", "replace",
    "rfind",        "rindex",     "rjust",     "rpartition",  "rsplit",    "rstrip",       "split",        "splitlines",
    "startswith",   "strip",      "swapcase",  "title",       "translate", "upper",        "zfill"};
constexpr const char* kListAttributes[] = {"append", "clear", "copy",   "count",   "extend", "index",
                                           "insert", "pop",   "remove", "reverse", "sort"};
constexpr const char* kTupleAttributes[] = {"count", "index"};
constexpr const char* kDictAttributes[] = {"clear", "copy",    "fromkeys",   "get",    "items", "keys",
                                           "pop",   "popitem", "setdefault", "update", "values"};
constexpr const char* kIntAttributes[] = {"as_integer_ratio", "bit_count", "bit_length", "conjugate", "denominator",
                                          "from_bytes",       "imag",      "numerator",  "real",      "to_bytes"};
constexpr const char* kFloatAttributes[] = {"as_integer_ratio", "conjugate", "fromhex", "hex", "imag",
                                            "is_integer",       "real"};
constexpr const char* kRangeAttributes[] = {"count", "index", "start", "step", "stop"};
constexpr const char* kDictViewAttributes[] = {"isdisjoint", "mapping"};
// Methods that change their object, which transformers' ImmutableSandboxedEnvironment refuses.
constexpr const char* kMutating[] = {"append",  "clear", "extend",  "insert",     "pop",   "remove",
                                     "reverse", "sort",  "popitem", "setdefault", "update"};

template <size_t N>
bool listed(const char* const (&names)[N], const std::string& name) {
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return name == n; });
}

using Method = Value (*)(const Value& self, const std::string& name, Arguments& args, Budget& budget);

Value bind(const Value& self, const std::string& name, Method method, Budget& budget) {
  return Value::make_function(
      std::string(self.type_name()) + "." + name,
      [self, name, method, b = &budget](Arguments& args) { return method(self, name, args, *b); });
}

std::string qualified(const Value& self, const std::string& name) { return std::string(self.type_name()) + "." + name; }

bool prefix_match(const std::string& text, const Value& prefix, bool at_end, const std::string& function) {
  auto one = [&](const Value& p) {
    const std::string& s = string_argument(p, function, "prefix");
    if (s.size() > text.size()) return false;
    return at_end ? text.compare(text.size() - s.size(), s.size(), s) == 0 : text.compare(0, s.size(), s) == 0;
  };
  if (prefix.kind() == Kind::tuple) return std::any_of(prefix.items().begin(), prefix.items().end(), one);
  return one(prefix);
}

Value str_affix(const Value& self, const std::string& name, Arguments& args, Budget&) {
  const std::string function = qualified(self, name);
  auto a = bind_arguments(function, args, {"prefix", "start", "end"});
  if (!a[0]) fail("{}() takes at least 1 argument", function);
  std::string text = self.as_string();
  const auto start = optional_int(a[1], function, "start"), end = optional_int(a[2], function, "end");
  if (start || end) {
    const std::vector<size_t> at = code_point_offsets(text);
    const auto n = static_cast<int64_t>(at.size()) - 1;
    if (start && *start > n) return Value::from_bool(false);
    const SliceRange r = slice_indices(start, end, std::nullopt, n);
    text = r.start < r.stop ? text.substr(at[r.start], at[r.stop] - at[r.start]) : "";
  }
  return Value::from_bool(prefix_match(text, *a[0], name == "endswith", function));
}

Value str_strip(const Value& self, const std::string& name, Arguments& args, Budget&) {
  auto a = bind_arguments(qualified(self, name), args, {"chars"});
  const std::string* chars =
      a[0] && !a[0]->is_none() ? &string_argument(*a[0], qualified(self, name), "chars") : nullptr;
  const Side side = name == "strip" ? Side::both : name == "lstrip" ? Side::left : Side::right;
  return Value::from_string(py_strip(self.as_string(), side, chars));
}

Value str_split(const Value& self, const std::string& name, Arguments& args, Budget& budget) {
  const std::string function = qualified(self, name);
  auto a = bind_arguments(function, args, {"sep", "maxsplit"});
  const std::string* sep = a[0] && !a[0]->is_none() ? &string_argument(*a[0], function, "sep") : nullptr;
  const int64_t maxsplit = a[1] ? int_argument(*a[1], function, "maxsplit") : -1;
  std::vector<Value> parts;
  for (std::string& part : py_split(self.as_string(), sep, maxsplit, name == "rsplit"))
    parts.push_back(Value::from_string(std::move(part)));
  budget.charge(parts.size() * sizeof(Value));
  return Value::make_list(std::move(parts));
}

Value str_case(const Value& self, const std::string& name, Arguments& args, Budget&) {
  bind_arguments(qualified(self, name), args, {});
  const std::string& s = self.as_string();
  if (name == "lower") return Value::from_string(py_lower(s));
  if (name == "upper") return Value::from_string(py_upper(s));
  if (name == "title") return Value::from_string(py_title(s));
  return Value::from_string(py_capitalize(s));
}

Value str_replace(const Value& self, const std::string& name, Arguments& args, Budget& budget) {
  const std::string function = qualified(self, name);
  auto a = bind_arguments(function, args, {"old", "new", "count"});
  if (!a[0] || !a[1]) fail("{}() takes at least 2 arguments", function);
  const int64_t count = a[2] ? int_argument(*a[2], function, "count") : -1;
  const std::string& old = string_argument(*a[0], function, "old");
  const std::string& replacement = string_argument(*a[1], function, "new");
  const std::string& s = self.as_string();
  const size_t occurrences = old.empty() ? code_point_count(s) + 1 : static_cast<size_t>(py_count(s, old));
  budget.check_size(s.size() + occurrences * replacement.size());
  budget.charge(s.size() + occurrences * replacement.size());
  return Value::from_string(py_replace(s, old, replacement, count));
}

Value str_find(const Value& self, const std::string& name, Arguments& args, Budget&) {
  const std::string function = qualified(self, name);
  auto a = bind_arguments(function, args, {"sub", "start", "end"});
  if (!a[0]) fail("{}() takes at least 1 argument", function);
  const std::string& sub = string_argument(*a[0], function, "sub");
  const auto start = optional_int(a[1], function, "start"), end = optional_int(a[2], function, "end");
  if (name == "count") {
    if (start || end) fail("str.count() with start or end is not supported");
    return Value::from_int(py_count(self.as_string(), sub));
  }
  const bool from_right = name == "rfind" || name == "rindex";
  const int64_t at = py_find(self.as_string(), sub, start, end, from_right);
  if (at < 0 && (name == "index" || name == "rindex")) fail("{}(): substring not found", function);
  return Value::from_int(at);
}

Value str_join(const Value& self, const std::string& name, Arguments& args, Budget& budget) {
  auto a = bind_arguments(qualified(self, name), args, {"iterable"});
  if (!a[0]) fail("str.join() takes exactly one argument");
  std::string out;
  bool first = true;
  for (const Value& item : iterate(*a[0])) {
    if (!item.is_string()) fail("str.join(): expected str items, found {}", item.type_name());
    if (!first) out += self.as_string();
    first = false;
    out += item.as_string();
    budget.check_size(out.size());
  }
  budget.charge(out.size());
  return Value::from_string(std::move(out));
}

Value str_affix_remove(const Value& self, const std::string& name, Arguments& args, Budget&) {
  auto a = bind_arguments(qualified(self, name), args, {"affix"});
  if (!a[0]) fail("{}() takes exactly one argument", qualified(self, name));
  const std::string& affix = string_argument(*a[0], qualified(self, name), "affix");
  std::string s = self.as_string();
  if (name == "removeprefix" && s.compare(0, affix.size(), affix) == 0)
    return Value::from_string(s.substr(affix.size()));
  if (name == "removesuffix" && !affix.empty() && s.size() >= affix.size() &&
      s.compare(s.size() - affix.size(), affix.size(), affix) == 0)
    return Value::from_string(s.substr(0, s.size() - affix.size()));
  return Value::from_string(std::move(s));
}

Value str_is(const Value& self, const std::string& name, Arguments& args, Budget&) {
  bind_arguments(qualified(self, name), args, {});
  const std::string& s = self.as_string();
  if (name == "isspace") {
    size_t pos = 0;
    while (pos < s.size())
      if (!is_python_space(next_code_point(s, pos))) return Value::from_bool(false);
    return Value::from_bool(!s.empty());
  }
  if (!is_ascii(s)) fail("str.{}() of non-ASCII text is not supported", name);
  auto all = [&](auto predicate) { return !s.empty() && std::all_of(s.begin(), s.end(), predicate); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (name == "isdigit") return Value::from_bool(all(digit));
  if (name == "isalpha") return Value::from_bool(all(alpha));
  if (name == "isalnum") return Value::from_bool(all([&](char c) { return digit(c) || alpha(c); }));
  const bool lower = name == "islower";
  bool cased = false;
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      cased = true;
      if ((c >= 'a' && c <= 'z') != lower) return Value::from_bool(false);
    }
  }
  return Value::from_bool(cased);
}

Value sequence_method(const Value& self, const std::string& name, Arguments& args, Budget&) {
  const std::string function = qualified(self, name);
  if (name == "copy") {
    bind_arguments(function, args, {});
    return self;
  }
  auto a = bind_arguments(function, args, {"value"});
  if (!a[0]) fail("{}() takes exactly one argument", function);
  const auto& items = self.items();
  if (name == "count")
    return Value::from_int(std::count_if(items.begin(), items.end(), [&](const Value& v) { return equals(v, *a[0]); }));
  for (size_t i = 0; i < items.size(); ++i)
    if (equals(items[i], *a[0])) return Value::from_int(static_cast<int64_t>(i));
  fail("{}(): value is not in the {}", function, self.type_name());
}

Value dict_method(const Value& self, const std::string& name, Arguments& args, Budget&) {
  const std::string function = qualified(self, name);
  const Dict& dict = self.as_dict();
  if (name == "get") {
    auto a = bind_arguments(function, args, {"key", "default"});
    if (!a[0]) fail("dict.get() takes at least 1 argument");
    const Value* found = dict.find(*a[0]);
    return found ? *found : a[1] ? *a[1] : Value::none();
  }
  bind_arguments(function, args, {});
  if (name == "copy") return self;
  std::vector<Value> items;
  for (const auto& [key, value] : dict.entries())
    items.push_back(name == "keys" ? key : name == "values" ? value : Value::make_tuple({key, value}));
  return Value::make_view(name == "keys"     ? "dict_keys"
                          : name == "values" ? "dict_values"
                                             : "dict_items",
                          std::move(items));
}

Method str_method(const std::string& name) {
  if (name == "startswith" || name == "endswith") return str_affix;
  if (name == "strip" || name == "lstrip" || name == "rstrip") return str_strip;
  if (name == "split" || name == "rsplit") return str_split;
  if (name == "lower" || name == "upper" || name == "title" || name == "capitalize") return str_case;
  if (name == "replace") return str_replace;
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") return str_find;
  if (name == "join") return str_join;
  if (name == "removeprefix" || name == "removesuffix") return str_affix_remove;
  if (name == "isspace" || name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "islower" ||
      name == "isupper")
    return str_is;
  return nullptr;
}

std::optional<Value> number_attribute(const Value& self, const std::string& name) {
  if (name == "real" || name == "numerator")
    return self.kind() == Kind::floating ? Value::from_double(self.as_double()) : Value::from_int(self.as_int());
  if (name == "imag") return self.kind() == Kind::floating ? Value::from_double(0.0) : Value::from_int(0);
  if (name == "denominator") return Value::from_int(1);
  return std::nullopt;
}

[[noreturn]] void unsupported(const Value& self, const std::string& name) {
  if (listed(kMutating, name))
    fail("{}.{}() changes its object, which transformers' sandbox forbids", self.type_name(), name);
  fail("{}.{} is not supported", self.type_name(), name);
}

}  // namespace

std::optional<Value> python_attribute(const Value& self, const std::string& name, Budget& budget) {
  switch (self.kind()) {
    case Kind::string:
      if (!listed(kStrAttributes, name)) return std::nullopt;
      if (Method m = str_method(name)) return bind(self, name, m, budget);
      unsupported(self, name);
    case Kind::list:
    case Kind::tuple:
      if (self.view()) {
        const bool range = std::string(self.view()) == "range";
        if (range ? !listed(kRangeAttributes, name) : !listed(kDictViewAttributes, name)) return std::nullopt;
        unsupported(self, name);
      }
      if (self.kind() == Kind::list ? !listed(kListAttributes, name) : !listed(kTupleAttributes, name))
        return std::nullopt;
      if (name == "count" || name == "index" || name == "copy") return bind(self, name, sequence_method, budget);
      unsupported(self, name);
    case Kind::dict:
      if (!listed(kDictAttributes, name)) return std::nullopt;
      if (name == "get" || name == "items" || name == "keys" || name == "values" || name == "copy")
        return bind(self, name, dict_method, budget);
      unsupported(self, name);
    case Kind::boolean:
    case Kind::integer:
    case Kind::floating: {
      const bool is_float = self.kind() == Kind::floating;
      if (is_float ? !listed(kFloatAttributes, name) : !listed(kIntAttributes, name)) return std::nullopt;
      if (auto value = number_attribute(self, name)) return value;
      unsupported(self, name);
    }
    default: return std::nullopt;
  }
}

}  // namespace aha::jinja
