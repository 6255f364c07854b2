// Jinja's tests: the `is` operator (`x is defined`, `x is string`, `n is divisibleby 3`).
#pragma once

#include <string>

#include "aha/jinja/value.hpp"

namespace aha::jinja {

// Applies the test `name` to `operand` with the test's arguments; throws for tests aha does not
// implement and for bad arguments.
bool apply_test(const std::string& name, const Value& operand, const Arguments& args);

}  // namespace aha::jinja
