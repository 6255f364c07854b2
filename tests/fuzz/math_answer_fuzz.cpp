// Fuzz target: any completion text gives a final answer (or none) without crashing, and any
// number read from it is a reduced fraction with a positive denominator that equals itself.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "aha/rl/rewards/math_answer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto answer = aha::rl::extract_final_answer(text);
  const auto value = aha::rl::parse_math_answer(answer ? *answer : text);
  if (value) {
    if (value->value.den <= 0) std::abort();
    const std::string& stated = answer ? *answer : text;
    if (!aha::rl::math_answers_equal(stated, stated)) std::abort();
  }
  return 0;
}
