// Python's operators on interpreter values, and attribute and item access as transformers'
// ImmutableSandboxedEnvironment performs them.
#pragma once

#include <string>
#include <vector>

#include "aha/jinja/budget.hpp"
#include "aha/jinja/value.hpp"

namespace aha::jinja {

// a + b, a - b, a * b, a / b, a // b, a % b, a ** b with Python's semantics; `op` names the operator.
Value binary_op(const std::string& op, const Value& a, const Value& b, Budget& budget);

// -a, or +a when `positive`.
Value unary_op(const Value& a, bool positive);

// A comparison: ==, !=, <, <=, >, >=, in, notin.
bool compare_op(const std::string& op, const Value& a, const Value& b);

// Python's `item in container`; an undefined container holds nothing.
bool contains(const Value& container, const Value& item);

// The items a for loop visits: a list's items, a dict's keys, a str's characters, an iterator's
// remaining items; an undefined value gives none. Anything else is an error.
std::vector<Value> iterate(const Value& value);

// Python's len(); an error for values without a length.
int64_t length_of(const Value& value);

// The sandbox's getattr: a method or attribute first, then an item; Undefined when neither exists.
// Undefined objects and names starting with '_' are errors.
Value get_attribute(const Value& object, const std::string& name, Budget& budget);

// Python's getattr alone (no item lookup), as the `attr` filter uses it.
Value attribute_only(const Value& object, const std::string& name, Budget& budget);

// The sandbox's getitem: an item first, then (for a string key) an attribute; Undefined when neither exists.
Value get_item(const Value& object, const Value& key, Budget& budget);

// object[start:stop:step]; Undefined for objects that cannot be sliced.
Value get_slice(const Value& object, const Value& start, const Value& stop, const Value& step);

// Throws Jinja's UndefinedError for `value` when it is undefined.
void require_defined(const Value& value);

}  // namespace aha::jinja
