// Final answers of math completions: where a completion states its answer, and what number an
// answer text means (integers, decimals, fractions, \frac, thousands separators, signs,
// percentages). Two readings: the strict one of the `accuracy` reward (one answer block after the
// reasoning, holding one value and nothing else) and the lenient one of `accuracy_lenient` (the
// last number of the most answer-like part, currency signs and units ignored).
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

// `text` as exactly one value and nothing else: optional $…$, $$…$$ or \(…\) around it, then
// optional \boxed{…} around it, then [sign] [$] [sign] number [%], where number is an integer or
// decimal (thousands separators allowed), a/b or \frac{a}{b} (\dfrac, \tfrac); spaces allowed
// inside the wrappers, after a leading $, around / and before % (any run of whitespace counts as
// one space). nullopt for anything else: "4 or 5", "x = 5", "5 apples", "5.", "".
std::optional<MathValue> parse_single_value(std::string_view text);

// A completion's answer as a verifier reads it: a number, or the answer's text when it is none.
struct FinalAnswer {
  std::optional<MathValue> number;
  // The vote key of maj@k: the number written exactly ("5", "-3/4", "50%"), else the text trimmed,
  // with whitespace collapsed and lower-cased. Equal keys mean equal scores.
  std::string key;
};

// The strict reading: the content of the answer block of a completion with R1's structure
// (r1_structure.hpp; the opening <think> may be in the prompt), as one value (parse_single_value),
// else as text; nullopt without such a block or when the block is blank.
std::optional<FinalAnswer> strict_final_answer(std::string_view completion);

// The lenient reading: extract_final_answer's text, as its number (parse_math_answer), else as
// text (final periods dropped, unless nothing else is left); nullopt when there is none or it is
// blank. So every completion with a strict answer has a lenient one.
std::optional<FinalAnswer> lenient_final_answer(std::string_view completion);

// True when a strict answer states `reference`: when the reference is one value, the same number,
// and a % in the answer only when the reference has one (a reference with % accepts its number with
// or without it: "50%" and "50" for "50%", but not "500%" or "5%" for 5); else the same text.
bool strict_answer_matches(const FinalAnswer& given, std::string_view reference);

}  // namespace aha::rl
