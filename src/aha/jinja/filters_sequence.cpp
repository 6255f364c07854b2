// Filters on sequences and mappings: first, last, list, join, map, select, reject, selectattr,
// rejectattr, sort, dictsort, unique, items, reverse, sum, min, max, attr.
#include <fmt/format.h>

#include <algorithm>

#include "aha/base/error.hpp"
#include "aha/jinja/arguments.hpp"
#include "aha/jinja/filters.hpp"
#include "aha/jinja/is_tests.hpp"
#include "aha/jinja/objects.hpp"
#include "aha/jinja/operators.hpp"
#include "aha/jinja/python_text.hpp"
#include "aha/jinja/string_ops.hpp"

namespace aha::jinja {
namespace {

// Jinja's make_attrgetter: "a.b.0" looks up item a, then b, then 0; None looks nothing up.
Value lookup_path(Value item, const std::optional<Value>& attribute, Budget& budget) {
  if (!attribute || attribute->is_none()) return item;
  if (!attribute->is_string()) return get_item(item, *attribute, budget);
  static const std::string kDot = ".";
  for (const std::string& part : py_split(attribute->as_string(), &kDot, -1, false)) {
    const bool digits =
        !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    item = get_item(item, digits ? Value::from_int(std::stoll(part)) : Value::from_string(part), budget);
  }
  return item;
}

Value ignore_case(const Value& v) { return v.is_string() ? Value::from_string(py_lower(v.as_string())) : v; }

bool key_less(const Value& a, const Value& b, bool reverse) { return reverse ? compare(b, a) < 0 : compare(a, b) < 0; }

Value filter_sort(const Value& v, const Arguments& args, Budget& budget) {
  auto a = bind_arguments("sort", args, {"reverse", "case_sensitive", "attribute"});
  const bool reverse = a[0] && a[0]->truthy(), case_sensitive = a[1] && a[1]->truthy();
  std::vector<std::optional<Value>> attributes;
  if (a[2] && a[2]->is_string()) {
    const std::string comma = ",";
    for (std::string& part : py_split(a[2]->as_string(), &comma, -1, false))
      attributes.emplace_back(Value::from_string(part));
  } else {
    attributes.push_back(a[2]);
  }
  std::vector<std::pair<Value, Value>> keyed;  // (key, item)
  for (Value& item : iterate(v)) {
    std::vector<Value> key;
    for (const auto& attribute : attributes) {
      Value part = lookup_path(item, attribute, budget);
      key.push_back(case_sensitive ? part : ignore_case(part));
    }
    keyed.emplace_back(Value::make_list(std::move(key)), std::move(item));
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [&](const auto& x, const auto& y) { return key_less(x.first, y.first, reverse); });
  std::vector<Value> out;
  for (auto& [key, item] : keyed) out.push_back(std::move(item));
  return Value::make_list(std::move(out));
}

Value filter_dictsort(const Value& v, const Arguments& args) {
  auto a = bind_arguments("dictsort", args, {"case_sensitive", "by", "reverse"});
  const bool case_sensitive = a[0] && a[0]->truthy(), reverse = a[2] && a[2]->truthy();
  const std::string by = a[1] ? string_argument(*a[1], "dictsort", "by") : "key";
  if (by != "key" && by != "value") fail("dictsort: you can only sort by either \"key\" or \"value\"");
  require_defined(v);
  if (v.kind() != Kind::dict) fail("dictsort: expected a mapping, not {}", v.type_name());
  std::vector<Value> items;
  for (const auto& [key, value] : v.as_dict().entries()) items.push_back(Value::make_tuple({key, value}));
  const size_t pos = by == "key" ? 0 : 1;
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    const Value& p = x.items()[pos];
    const Value& q = y.items()[pos];
    return key_less(case_sensitive ? p : ignore_case(p), case_sensitive ? q : ignore_case(q), reverse);
  });
  return Value::make_list(std::move(items));
}

Value filter_unique(const Value& v, const Arguments& args, Budget& budget) {
  auto a = bind_arguments("unique", args, {"case_sensitive", "attribute"});
  const bool case_sensitive = a[0] && a[0]->truthy();
  std::vector<Value> seen, out;
  for (Value& item : iterate(v)) {
    Value key = lookup_path(item, a[1], budget);
    if (!case_sensitive) key = ignore_case(key);
    Dict probe;
    probe.set(key, Value::none());  // refuses unhashable keys as Python's set does
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) continue;
    seen.push_back(key);
    out.push_back(std::move(item));
  }
  return make_iterator("generator", std::move(out));
}

// map(filter, args...) or map(attribute=..., default=...).
Value filter_map(const Value& v, const Arguments& args, Budget& budget) {
  if (!v.truthy()) return make_iterator("generator", {});
  std::vector<Value> out;
  if (args.positional.empty()) {
    auto a = bind_arguments("map", args, {"attribute", "default"});
    if (!a[0]) fail("map requires a filter argument");
    for (Value& item : iterate(v)) {
      Value mapped = lookup_path(item, a[0], budget);
      out.push_back(mapped.is_undefined() && a[1] && !a[1]->is_none() ? *a[1] : mapped);
    }
    return make_iterator("generator", std::move(out));
  }
  const std::string& filter = string_argument(args.positional[0], "map", "filter");
  Arguments rest{std::vector<Value>(args.positional.begin() + 1, args.positional.end()), args.keywords};
  for (Value& item : iterate(v)) out.push_back(apply_filter(filter, item, rest, budget));
  return make_iterator("generator", std::move(out));
}

// select, reject, selectattr, rejectattr.
Value filter_select(const std::string& name, const Value& v, const Arguments& args, Budget& budget) {
  if (!v.truthy()) return make_iterator("generator", {});
  const bool by_attribute = name == "selectattr" || name == "rejectattr";
  const bool keep_passing = name == "select" || name == "selectattr";
  const size_t offset = by_attribute ? 1 : 0;
  if (by_attribute && args.positional.empty()) fail("{}: missing the attribute name", name);
  std::optional<Value> attribute = by_attribute ? std::optional<Value>(args.positional[0]) : std::nullopt;
  const bool has_test = args.positional.size() > offset;
  const std::string test = has_test ? string_argument(args.positional[offset], name, "test") : "";
  Arguments rest{std::vector<Value>(args.positional.begin() +
                                        static_cast<std::ptrdiff_t>(std::min(args.positional.size(), offset + 1)),
                                    args.positional.end()),
                 args.keywords};
  std::vector<Value> out;
  for (Value& item : iterate(v)) {
    const Value subject = lookup_path(item, attribute, budget);
    const bool passes = has_test ? apply_test(test, subject, rest) : subject.truthy();
    if (passes == keep_passing) out.push_back(std::move(item));
  }
  return make_iterator("generator", std::move(out));
}

Value filter_reverse(const Value& v) {
  if (v.is_string()) {
    return get_slice(v, Value::none(), Value::none(), Value::from_int(-1));
  }
  if (v.kind() == Kind::object && dynamic_cast<Iterator*>(&v.as_object())) {
    std::vector<Value> items = iterate(v);
    std::reverse(items.begin(), items.end());
    return Value::make_list(std::move(items));
  }
  if (!v.is_undefined() && !v.is_sequence() && v.kind() != Kind::dict) fail("reverse: argument must be iterable");
  std::vector<Value> items = iterate(v);
  std::reverse(items.begin(), items.end());
  return make_iterator("reversed", std::move(items));
}

Value filter_min_max(const std::string& name, const Value& v, const Arguments& args, Budget& budget) {
  auto a = bind_arguments(name, args, {"case_sensitive", "attribute"});
  const bool case_sensitive = a[0] && a[0]->truthy();
  const std::vector<Value> items = iterate(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  auto key = [&](const Value& item) {
    Value k = lookup_path(item, a[1], budget);
    return case_sensitive ? k : ignore_case(k);
  };
  size_t best = 0;
  Value best_key = key(items[0]);
  for (size_t i = 1; i < items.size(); ++i) {
    Value k = key(items[i]);
    const int c = compare(k, best_key);
    if (name == "max" ? c > 0 : c < 0) {
      best = i;
      best_key = std::move(k);
    }
  }
  return items[best];
}

Value filter_sum(const Value& v, const Arguments& args, Budget& budget) {
  auto a = bind_arguments("sum", args, {"attribute", "start"});
  Value total = a[1] ? *a[1] : Value::from_int(0);
  if (total.is_string()) fail("sum() can't sum strings");
  for (const Value& item : iterate(v)) total = binary_op("+", total, lookup_path(item, a[0], budget), budget);
  return total;
}

Value filter_join(const Value& v, const Arguments& args, Budget& budget) {
  auto a = bind_arguments("join", args, {"d", "attribute"});
  const std::string separator = a[0] ? python_str(*a[0]) : "";
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first) out += separator;
    first = false;
    out += python_str(lookup_path(item, a[1], budget));
    budget.check_size(out.size());
  }
  budget.charge(out.size());
  return Value::from_string(std::move(out));
}

Value filter_first_last(const std::string& name, const Value& v, const Arguments& args) {
  bind_arguments(name, args, {});
  if (v.kind() == Kind::object && dynamic_cast<Iterator*>(&v.as_object())) {
    if (name == "last") fail("last: a {} cannot be reversed", v.type_name());
    if (auto item = static_cast<Iterator&>(v.as_object()).take()) return *item;
    return Value::undefined("No first item, sequence was empty.");
  }
  const std::vector<Value> items = iterate(v);
  if (items.empty()) return Value::undefined(fmt::format("No {} item, sequence was empty.", name));
  return name == "first" ? items.front() : items.back();
}

}  // namespace

std::optional<Value> apply_sequence_filter(const std::string& name, const Value& v, const Arguments& args,
                                           Budget& budget) {
  if (name == "first" || name == "last") return filter_first_last(name, v, args);
  if (name == "list") {
    bind_arguments(name, args, {});
    return Value::make_list(iterate(v));
  }
  if (name == "join") return filter_join(v, args, budget);
  if (name == "map") return filter_map(v, args, budget);
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr")
    return filter_select(name, v, args, budget);
  if (name == "sort") return filter_sort(v, args, budget);
  if (name == "dictsort") return filter_dictsort(v, args);
  if (name == "unique") return filter_unique(v, args, budget);
  if (name == "reverse") {
    bind_arguments(name, args, {});
    return filter_reverse(v);
  }
  if (name == "items") {
    bind_arguments(name, args, {});
    if (v.is_undefined()) return make_iterator("generator", {});
    if (v.kind() != Kind::dict) fail("items: can only get item pairs from a mapping, not {}", v.type_name());
    std::vector<Value> pairs;
    for (const auto& [key, value] : v.as_dict().entries()) pairs.push_back(Value::make_tuple({key, value}));
    return make_iterator("generator", std::move(pairs));
  }
  if (name == "sum") return filter_sum(v, args, budget);
  if (name == "min" || name == "max") return filter_min_max(name, v, args, budget);
  if (name == "attr") {
    auto a = bind_arguments(name, args, {"name"});
    if (!a[0]) fail("attr: the attribute name is required");
    return attribute_only(v, python_str(*a[0]), budget);
  }
  return std::nullopt;
}

}  // namespace aha::jinja
