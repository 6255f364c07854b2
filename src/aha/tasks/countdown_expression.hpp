// Countdown answers: an arithmetic expression over integer literals with + - * / and parentheses,
// parsed by recursive descent and evaluated in exact rational arithmetic (never executed as code).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aha/base/rational.hpp"

namespace aha::tasks {

struct CountdownExpression {
  std::optional<Rational> value;  // set when the text is a valid expression
  std::vector<int64_t> literals;  // the integer literals in the order written
  std::string error;              // why it is not one (empty when value is set)
};

// Parses `text`: expression := term (('+' | '-') term)*, term := factor (('*' | '/') factor)*,
// factor := integer | '(' expression ')', with spaces, tabs and newlines between tokens. Integers
// are decimal digits without a leading zero (0 itself excepted), at most 9 of them; no unary
// signs, decimals or other characters. Division by zero, nesting deeper than 64 and intermediate
// values beyond 2^125 are errors.
CountdownExpression parse_countdown_expression(std::string_view text);

// Whether `expression` uses each of `numbers` exactly once (as a multiset) and equals `target`.
bool countdown_solves(const CountdownExpression& expression, const std::vector<int64_t>& numbers, int64_t target);

}  // namespace aha::tasks
