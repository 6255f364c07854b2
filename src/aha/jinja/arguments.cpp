#include "aha/jinja/arguments.hpp"

#include <cstring>

#include "aha/base/error.hpp"

namespace aha::jinja {

std::vector<std::optional<Value>> bind_arguments(const std::string& function, const Arguments& args,
                                                 std::initializer_list<const char*> names) {
  std::vector<std::optional<Value>> bound(names.size());
  if (args.positional.size() > names.size())
    fail("{}() takes at most {} arguments ({} given)", function, names.size(), args.positional.size());
  for (size_t i = 0; i < args.positional.size(); ++i) bound[i] = args.positional[i];
  for (const auto& [key, value] : args.keywords) {
    size_t index = 0;
    for (const char* name : names) {
      if (key == name) break;
      ++index;
    }
    if (index == names.size()) fail("{}() got an unexpected keyword argument '{}'", function, key);
    if (bound[index]) fail("{}() got multiple values for argument '{}'", function, key);
    bound[index] = value;
  }
  return bound;
}

const std::string& string_argument(const Value& value, const std::string& function, const char* param) {
  if (!value.is_string()) fail("{}(): {} must be a string, not {}", function, param, value.type_name());
  return value.as_string();
}

int64_t int_argument(const Value& value, const std::string& function, const char* param) {
  if (!value.is_integral()) fail("{}(): {} must be an integer, not {}", function, param, value.type_name());
  return value.as_int();
}

std::optional<int64_t> optional_int(const std::optional<Value>& value, const std::string& function, const char* param) {
  if (!value || value->is_none()) return std::nullopt;
  return int_argument(*value, function, param);
}

}  // namespace aha::jinja
