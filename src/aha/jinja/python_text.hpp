// Python's str() and repr() of interpreter values: what `{{ value }}` prints.
#pragma once

#include <string>
#include <string_view>

#include "aha/jinja/value.hpp"

namespace aha::jinja {

// Python's str(value); Undefined prints as "". Throws for objects and functions, whose Python
// text would name a memory address.
std::string python_str(const Value& value);

// Python's repr(value).
std::string python_repr(const Value& value);

// Python's repr of a float: shortest round-trip digits, "1e+16", "0.0001", "inf", "nan".
std::string float_repr(double d);

// Python's repr of a str: quoted, with backslash escapes for unprintable characters.
std::string string_repr(std::string_view text);

}  // namespace aha::jinja
