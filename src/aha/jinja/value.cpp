#include "aha/jinja/value.hpp"

#include <algorithm>

#include "aha/base/error.hpp"

namespace aha::jinja {
namespace {

int deepest(const std::vector<Value>& items) {
  int depth = 0;
  for (const Value& v : items) depth = std::max(depth, v.depth());
  return depth;
}

void check_depth(int depth) {
  if (depth > kMaxValueDepth) fail("value nests more than {} lists or dicts deep", kMaxValueDepth);
}

bool hashable(const Value& v) {
  switch (v.kind()) {
    case Kind::list:
    case Kind::dict: return false;
    case Kind::tuple: return std::all_of(v.items().begin(), v.items().end(), hashable);
    default: return true;
  }
}

template <typename T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_numbers(const Value& a, const Value& b) {
  if (a.is_integral() && b.is_integral()) return three_way(a.as_int(), b.as_int());
  // long double holds every int64 exactly, so mixed comparisons are exact as in Python.
  const long double x = a.is_integral() ? static_cast<long double>(a.as_int()) : a.as_double();
  const long double y = b.is_integral() ? static_cast<long double>(b.as_int()) : b.as_double();
  return three_way(x, y);
}

bool equal_views(const Value& a, const Value& b) {
  const std::string x = a.view() ? a.view() : "list", y = b.view() ? b.view() : "list";
  if (x == "range" && y == "range")
    return std::equal(a.items().begin(), a.items().end(), b.items().begin(), b.items().end(), equals);
  if (x == "range" || y == "range") return false;
  fail("comparing {} with {} is not supported", x, y);
}

}  // namespace

Value Value::undefined(std::string hint) {
  return Value(Kind::undefined, std::make_shared<const std::string>(std::move(hint)));
}
Value Value::none() { return Value(Kind::none, std::monostate{}); }
Value Value::from_bool(bool b) { return Value(Kind::boolean, b); }
Value Value::from_int(int64_t i) { return Value(Kind::integer, i); }
Value Value::from_double(double d) { return Value(Kind::floating, d); }
Value Value::from_string(std::string s) {
  return Value(Kind::string, std::make_shared<const std::string>(std::move(s)));
}

Value Value::make_list(std::vector<Value> items) {
  const int depth = deepest(items) + 1;
  check_depth(depth);
  return Value(Kind::list, std::make_shared<const Sequence>(Sequence{std::move(items), depth}));
}

Value Value::make_tuple(std::vector<Value> items) {
  const int depth = deepest(items) + 1;
  check_depth(depth);
  return Value(Kind::tuple, std::make_shared<const Sequence>(Sequence{std::move(items), depth}));
}

Value Value::make_view(const char* view, std::vector<Value> items) {
  const int depth = deepest(items) + 1;
  check_depth(depth);
  return Value(Kind::list, std::make_shared<const Sequence>(Sequence{std::move(items), depth, view}));
}

Value Value::make_dict(Dict dict) {
  check_depth(dict.depth());
  return Value(Kind::dict, std::make_shared<const Dict>(std::move(dict)));
}

Value Value::make_object(std::shared_ptr<Object> object) { return Value(Kind::object, std::move(object)); }

Value Value::make_function(std::string name, std::function<Value(Arguments&)> call) {
  return Value(Kind::function, std::make_shared<const Function>(Function{std::move(name), std::move(call)}));
}

bool Value::is_number() const { return kind_ == Kind::boolean || kind_ == Kind::integer || kind_ == Kind::floating; }

int64_t Value::as_int() const {
  return kind_ == Kind::boolean ? static_cast<int64_t>(std::get<bool>(data_)) : std::get<int64_t>(data_);
}

double Value::as_double() const {
  return kind_ == Kind::floating ? std::get<double>(data_) : static_cast<double>(as_int());
}

const std::string& Value::as_string() const { return *std::get<std::shared_ptr<const std::string>>(data_); }

const std::vector<Value>& Value::items() const { return std::get<std::shared_ptr<const Sequence>>(data_)->items; }

const char* Value::view() const {
  return is_sequence() ? std::get<std::shared_ptr<const Sequence>>(data_)->view : nullptr;
}

const Object* Value::object_identity() const {
  return kind_ == Kind::object ? std::get<std::shared_ptr<Object>>(data_).get() : nullptr;
}

std::string Value::undefined_hint() const {
  const auto* hint = std::get_if<std::shared_ptr<const std::string>>(&data_);
  return hint && *hint && !(*hint)->empty() ? **hint : "a value is undefined";
}

int Value::depth() const {
  if (is_sequence()) return std::get<std::shared_ptr<const Sequence>>(data_)->depth;
  if (kind_ == Kind::dict) return as_dict().depth();
  return 0;
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::undefined:
    case Kind::none: return false;
    case Kind::boolean: return as_bool();
    case Kind::integer: return as_int() != 0;
    case Kind::floating: return as_double() != 0.0;
    case Kind::string: return !as_string().empty();
    case Kind::list:
    case Kind::tuple: return !items().empty();
    case Kind::dict: return as_dict().size() != 0;
    case Kind::object: return as_object().truthy();
    case Kind::function: return true;
  }
  return false;
}

const char* Value::type_name() const {
  switch (kind_) {
    case Kind::undefined: return "Undefined";
    case Kind::none: return "NoneType";
    case Kind::boolean: return "bool";
    case Kind::integer: return "int";
    case Kind::floating: return "float";
    case Kind::string: return "str";
    case Kind::list: return "list";
    case Kind::tuple: return "tuple";
    case Kind::dict: return "dict";
    case Kind::object: return as_object().type_name();
    case Kind::function: return "function";
  }
  return "?";
}

void Dict::set(const Value& key, Value value) {
  if (!hashable(key)) fail("unhashable type: '{}' as a dict key", key.type_name());
  depth_ = std::max({depth_, key.depth() + 1, value.depth() + 1});
  if (key.is_string()) {
    auto [it, added] = string_index_.emplace(key.as_string(), entries_.size());
    if (!added) {
      entries_[it->second].second = std::move(value);
      return;
    }
    entries_.emplace_back(key, std::move(value));
    return;
  }
  for (auto& [k, v] : entries_)
    if (!k.is_string() && equals(k, key)) {
      v = std::move(value);
      return;
    }
  entries_.emplace_back(key, std::move(value));
}

const Value* Dict::find(const Value& key) const {
  if (key.is_string()) return find(key.as_string());
  if (!hashable(key)) fail("unhashable type: '{}' as a dict key", key.type_name());
  for (const auto& [k, v] : entries_)
    if (!k.is_string() && equals(k, key)) return &v;
  return nullptr;
}

const Value* Dict::find(const std::string& key) const {
  auto it = string_index_.find(key);
  return it == string_index_.end() ? nullptr : &entries_[it->second].second;
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::undefined:
    case Kind::none: return true;
    case Kind::string: return a.as_string() == b.as_string();
    case Kind::list:
    case Kind::tuple:
      if (a.view() || b.view()) return equal_views(a, b);
      return std::equal(a.items().begin(), a.items().end(), b.items().begin(), b.items().end(), equals);
    case Kind::dict: {
      if (a.as_dict().size() != b.as_dict().size()) return false;
      for (const auto& [key, value] : a.as_dict().entries()) {
        const Value* other = b.as_dict().find(key);
        if (!other || !equals(value, *other)) return false;
      }
      return true;
    }
    case Kind::object: return a.object_identity() == b.object_identity();
    case Kind::function: return &a.as_function() == &b.as_function();
    default: return false;
  }
}

int compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b);
  if (a.is_string() && b.is_string())
    return three_way(a.as_string(), b.as_string());  // UTF-8 order is code point order
  if (a.kind() == b.kind() && a.is_sequence() && !a.view() && !b.view()) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (!equals(x[i], y[i])) return compare(x[i], y[i]);
    return three_way(x.size(), y.size());
  }
  fail("'<' not supported between instances of '{}' and '{}'", a.type_name(), b.type_name());
}

}  // namespace aha::jinja
