// Binding call arguments to parameters the way Python does, and checking their types.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "aha/jinja/value.hpp"

namespace aha::jinja {

// Binds `args` to the parameters `names`: positional arguments first, then keywords. Too many
// arguments, an unknown keyword or one given twice is an error naming `function`.
std::vector<std::optional<Value>> bind_arguments(const std::string& function, const Arguments& args,
                                                 std::initializer_list<const char*> names);

// The str in `value`; anything else is an error naming the function and the parameter.
const std::string& string_argument(const Value& value, const std::string& function, const char* param);

// The int in `value` (a bool counts); anything else is an error naming the function and the parameter.
int64_t int_argument(const Value& value, const std::string& function, const char* param);

// An optional int argument: nullopt when absent or None.
std::optional<int64_t> optional_int(const std::optional<Value>& value, const std::string& function, const char* param);

}  // namespace aha::jinja
