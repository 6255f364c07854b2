// Final answers of math completions: where a completion states its answer, and what number an
// answer text means (integers, decimals, fractions, \frac, thousands separators, signs,
// percentages; currency signs and units ignored).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aha/base/rational.hpp"

namespace aha::rl {

// The final-answer text of `completion`, looked for in this order: the content of the last
// <answer>…</answer>, the content of the last \boxed{…} (balanced braces), the rest of the last
// "#### " line, the last number in the text; nullopt when there is none of these.
std::optional<std::string> extract_final_answer(std::string_view completion);

struct MathValue {
  Rational value;
  bool percent = false;  // written with a % sign (value is the number before it)
};

// The last number written in `text` (after LaTeX spacing and \$, \% are normalised): an integer
// or decimal with optional sign and thousands separators, a/b, \frac{a}{b} (\dfrac, \tfrac), each
// with an optional % after it; nullopt when there is none, or when it has more than 36 digits.
std::optional<MathValue> parse_math_answer(std::string_view text);

// True when `given` and `reference` state the same number (a percentage matches either its
// number or its number / 100); when either states no number, when their texts agree after
// trimming, collapsing whitespace and lower-casing.
bool math_answers_equal(std::string_view given, std::string_view reference);

}  // namespace aha::rl
