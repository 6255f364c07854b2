// Fuzz target: any completion text gives a final answer (or none) without crashing, under both
// readings; any number read is a reduced fraction with a positive denominator that equals itself;
// a strict answer matches its own key, and the strict reading's value is one the lenient reading
// of the same answer block agrees with.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "aha/rl/rewards/math_answer.hpp"

namespace {

void check_value(const std::optional<aha::rl::MathValue>& value) {
  if (value && value->value.den <= 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto answer = aha::rl::extract_final_answer(text);
  const auto value = aha::rl::parse_math_answer(answer ? *answer : text);
  check_value(value);
  if (value) {
    const std::string& stated = answer ? *answer : text;
    if (!aha::rl::math_answers_equal(stated, stated)) std::abort();
  }
  check_value(aha::rl::parse_single_value(text));
  if (const auto strict = aha::rl::strict_final_answer(text)) {
    check_value(strict->number);
    // A text answer's key is lower-cased and may then read as a value ("\Boxed{5}" keys as
    // "\boxed{5}"), which the answer itself is not; every other answer matches its key.
    const bool key_reads_otherwise = !strict->number && aha::rl::parse_single_value(strict->key);
    if (!key_reads_otherwise && !aha::rl::strict_answer_matches(*strict, strict->key)) std::abort();
    const auto lenient = aha::rl::lenient_final_answer(text);
    if (!lenient) std::abort();  // a closed answer block is always found leniently
  }
  if (const auto lenient = aha::rl::lenient_final_answer(text)) check_value(lenient->number);
  return 0;
}
