// Values of the Jinja interpreter, with Python's semantics: truthiness, equality, ordering.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace aha::jinja {

class Value;
class Dict;
class Object;
struct Function;

// How deeply lists, tuples and dicts may nest; deeper values are an error, so that every
// recursive walk over a value (printing, comparing, freeing) stays within the stack.
constexpr int kMaxValueDepth = 256;

enum class Kind : uint8_t { undefined, none, boolean, integer, floating, string, list, tuple, dict, object, function };

// The items of a list or a tuple (both immutable, as in the sandbox transformers uses).
struct Sequence {
  std::vector<Value> items;
  int depth = 1;
  const char* view = nullptr;  // "dict_items", "dict_keys", "dict_values" or "range": not a plain list
};

class Value {
 public:
  // An undefined value: what a missing variable, attribute or item evaluates to.
  Value() = default;
  // Undefined, remembering what was missing for error messages ("'x' is undefined").
  static Value undefined(std::string hint);
  // Python's None.
  static Value none();
  // A bool.
  static Value from_bool(bool b);
  // An int (Python's are unbounded; aha's are 64-bit and overflow is an error).
  static Value from_int(int64_t i);
  // A float.
  static Value from_double(double d);
  // A str, as UTF-8.
  static Value from_string(std::string s);
  // A list; throws when it would nest deeper than kMaxValueDepth.
  static Value make_list(std::vector<Value> items);
  // A tuple; throws when it would nest deeper than kMaxValueDepth.
  static Value make_tuple(std::vector<Value> items);
  // A list-like Python type that prints and compares unlike a list: a dict view or a range.
  static Value make_view(const char* view, std::vector<Value> items);
  // A dict; throws when it would nest deeper than kMaxValueDepth.
  static Value make_dict(Dict dict);
  // An object with attributes (namespace, loop).
  static Value make_object(std::shared_ptr<Object> object);
  // A callable: a global function, a bound method or a macro.
  static Value make_function(std::string name, std::function<Value(struct Arguments&)> call);

  // Which Python type this is.
  Kind kind() const { return kind_; }
  // True for Jinja's Undefined.
  bool is_undefined() const { return kind_ == Kind::undefined; }
  // True for None.
  bool is_none() const { return kind_ == Kind::none; }
  // True for a str.
  bool is_string() const { return kind_ == Kind::string; }
  // True for a bool, int or float.
  bool is_number() const;
  // True for a bool or an int (Python's bool is an int).
  bool is_integral() const { return kind_ == Kind::boolean || kind_ == Kind::integer; }
  // True for a list or a tuple.
  bool is_sequence() const { return kind_ == Kind::list || kind_ == Kind::tuple; }

  // The bool (kind boolean).
  bool as_bool() const { return std::get<bool>(data_); }
  // The integer value of a bool or an int.
  int64_t as_int() const;
  // The value of any number as a double.
  double as_double() const;
  // The text of a str.
  const std::string& as_string() const;
  // The items of a list or a tuple.
  const std::vector<Value>& items() const;
  // The view name of a dict view or range (see Sequence), or nullptr.
  const char* view() const;
  // The dict.
  const Dict& as_dict() const { return *std::get<std::shared_ptr<const Dict>>(data_); }
  // The object.
  Object& as_object() const { return *std::get<std::shared_ptr<Object>>(data_); }
  // The shared object, for identity comparisons.
  const Object* object_identity() const;
  // The callable.
  const Function& as_function() const { return *std::get<std::shared_ptr<const Function>>(data_); }
  // What was missing, for an undefined value.
  std::string undefined_hint() const;

  // Nesting depth of lists, tuples and dicts (0 for everything else).
  int depth() const;
  // Python's bool(value).
  bool truthy() const;
  // Python's type name ("str", "int", "list", ...).
  const char* type_name() const;

 private:
  using Data = std::variant<std::monostate, bool, int64_t, double, std::shared_ptr<const std::string>,
                            std::shared_ptr<const Sequence>, std::shared_ptr<const Dict>, std::shared_ptr<Object>,
                            std::shared_ptr<const Function>>;
  Value(Kind kind, Data data) : kind_(kind), data_(std::move(data)) {}
  Kind kind_ = Kind::undefined;
  Data data_;
};

// Positional and keyword arguments of a call.
struct Arguments {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
};

struct Function {
  std::string name;
  std::function<Value(Arguments&)> call;
};

// An insertion-ordered dict with Python's key semantics (1, 1.0 and True are one key).
class Dict {
 public:
  // Sets `key` to `value`; an existing key keeps its position. Throws for an unhashable key.
  void set(const Value& key, Value value);
  // The value stored under `key`, or nullptr.
  const Value* find(const Value& key) const;
  // The value stored under the string `key`, or nullptr.
  const Value* find(const std::string& key) const;
  // Every (key, value) pair in insertion order.
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }
  // Number of keys.
  size_t size() const { return entries_.size(); }
  // Nesting depth: one more than the deepest key or value.
  int depth() const { return depth_; }

 private:
  std::vector<std::pair<Value, Value>> entries_;
  std::unordered_map<std::string, size_t> string_index_;
  int depth_ = 1;
};

// A Python object with attributes: a namespace or a loop.
class Object {
 public:
  virtual ~Object() = default;
  // Python's type name, for messages.
  virtual const char* type_name() const = 0;
  // The attribute `name`, or nullopt when the object has none.
  virtual std::optional<Value> attribute(const std::string& name) = 0;
  // Python's bool(object).
  virtual bool truthy() const { return true; }
};

// Python's a == b.
bool equals(const Value& a, const Value& b);

// Python's ordering of a and b: negative, zero or positive; throws for types Python cannot order.
int compare(const Value& a, const Value& b);

}  // namespace aha::jinja
