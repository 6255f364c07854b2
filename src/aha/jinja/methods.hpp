// Methods and attributes of Python's built-in types as templates call them: str.startswith,
// str.split, dict.items, list.index, ...
#pragma once

#include <optional>
#include <string>

#include "aha/jinja/budget.hpp"
#include "aha/jinja/value.hpp"

namespace aha::jinja {

// Python's getattr(self, name) for a str, list, tuple, dict view, range, dict, int, float, bool or
// None: a bound method or attribute value, or nullopt when Python's type has no such attribute.
// An attribute Python has but aha does not implement, or one the sandbox forbids (list.append),
// is an error naming it.
std::optional<Value> python_attribute(const Value& self, const std::string& name, Budget& budget);

}  // namespace aha::jinja
