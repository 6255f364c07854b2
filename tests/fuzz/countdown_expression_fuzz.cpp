// Fuzz target: any text is either a countdown expression with a value and its literals, or an
// error; wrapping a valid expression in parentheses keeps its value (or exceeds the nesting limit).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "aha/tasks/countdown_expression.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const aha::tasks::CountdownExpression e = aha::tasks::parse_countdown_expression(text);
  if (e.value.has_value() == !e.error.empty()) std::abort();
  if (!e.value) return 0;
  if (e.literals.empty() || e.value->den <= 0) std::abort();
  const aha::tasks::CountdownExpression wrapped = aha::tasks::parse_countdown_expression("(" + text + ")");
  if (wrapped.value ? *wrapped.value != *e.value : wrapped.error.find("nested too deep") == std::string::npos)
    std::abort();
  (void)aha::tasks::countdown_solves(e, {1, 2, 3}, 6);
  return 0;
}
