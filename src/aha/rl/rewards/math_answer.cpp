#include "aha/rl/rewards/math_answer.hpp"

#include <cctype>
#include <utility>

#include "aha/base/text.hpp"
#include "aha/rl/rewards/r1_structure.hpp"

namespace aha::rl {
namespace {

constexpr int kMaxDigits = 36;  // 10^36 < 2^125, the Rational limit

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// LaTeX spacing and thousands braces removed, \$ and \% made plain, U+2212 made '-'.
std::string normalize(std::string_view text) {
  std::string s(text);
  for (std::string_view space : {"\\!", "\\,", "\\;", "\\:", "{,}"}) replace_all(s, space, "");
  replace_all(s, "\\%", "%");
  replace_all(s, "\\$", "$");
  replace_all(s, "\xe2\x88\x92", "-");
  return s;
}

void skip_spaces(std::string_view s, size_t& i) {
  while (i < s.size() && s[i] == ' ') ++i;
}

// Appends the digits at s[i..] to `mantissa`; false when there are too many.
bool take_digits(std::string_view s, size_t& i, __int128& mantissa, int& count) {
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (mantissa == 0 && s[i] == '0') continue;  // leading zeros do not count
    if (++count > kMaxDigits) return false;
    mantissa = mantissa * 10 + (s[i] - '0');
  }
  return true;
}

// An unsigned decimal at s[i]: digits with optional ",ddd" groups, optional ".digits"; or ".digits".
bool scan_decimal(std::string_view s, size_t& i, Rational& out) {
  const size_t start = i;
  __int128 mantissa = 0;
  int count = 0;
  if (i < s.size() && is_digit(s[i])) {
    const size_t run = i;
    if (!take_digits(s, i, mantissa, count)) return false;
    // Thousands groups: a first run of 1-3 digits, then ",ddd" groups not followed by a digit.
    if (i - run <= 3) {
      while (i + 3 < s.size() && s[i] == ',' && is_digit(s[i + 1]) && is_digit(s[i + 2]) && is_digit(s[i + 3]) &&
             (i + 4 >= s.size() || !is_digit(s[i + 4]))) {
        ++i;
        if (!take_digits(s, i, mantissa, count)) return false;
      }
    }
  }
  int decimals = 0;
  if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
    ++i;
    const size_t run = i;
    if (!take_digits(s, i, mantissa, count)) return false;
    decimals = static_cast<int>(i - run);
  }
  if (i == start || decimals > kMaxDigits) return false;
  __int128 den = 1;
  for (int d = 0; d < decimals; ++d) den *= 10;
  auto r = make_rational(mantissa, den);
  if (!r) return false;
  out = *r;
  return true;
}

// A whole brace group "{...}" at s[i] holding one optionally signed decimal.
bool scan_braced_decimal(std::string_view s, size_t& i, Rational& out) {
  if (i >= s.size() || s[i] != '{') return false;
  const size_t close = s.find('}', i);
  if (close == std::string_view::npos) return false;
  std::string_view inner = trim(s.substr(i + 1, close - i - 1));
  bool negative = false;
  if (!inner.empty() && (inner[0] == '-' || inner[0] == '+')) {
    negative = inner[0] == '-';
    inner = trim(inner.substr(1));
  }
  size_t j = 0;
  if (!scan_decimal(inner, j, out) || j != inner.size()) return false;
  if (negative) out.num = -out.num;
  i = close + 1;
  return true;
}

// \frac{a}{b}, \dfrac{a}{b}, \tfrac{a}{b} or the short form \frac34 at s[i].
bool scan_latex_fraction(std::string_view s, size_t& i, Rational& out) {
  size_t j = i;
  for (std::string_view command : {"\\frac", "\\dfrac", "\\tfrac"}) {
    if (s.substr(j, command.size()) == command) {
      j += command.size();
      break;
    }
  }
  if (j == i) return false;
  skip_spaces(s, j);
  Rational a, b;
  if (j + 1 < s.size() && is_digit(s[j]) && is_digit(s[j + 1])) {
    a = Rational{s[j] - '0', 1};
    b = Rational{s[j + 1] - '0', 1};
    j += 2;
  } else {
    if (!scan_braced_decimal(s, j, a)) return false;
    skip_spaces(s, j);
    if (!scan_braced_decimal(s, j, b)) return false;
  }
  auto q = divide(a, b);
  if (!q) return false;
  out = *q;
  i = j;
  return true;
}

// Whether a '+' or '-' at s[i] is a sign rather than an operator between two terms.
bool is_sign(std::string_view s, size_t i) {
  if (i + 1 >= s.size() || !(is_digit(s[i + 1]) || s[i + 1] == '.' || s[i + 1] == '$' || s[i + 1] == '\\'))
    return false;
  if (i == 0) return true;
  const char before = s[i - 1];
  if (is_alnum(before) || before == ')' || before == ']' || before == '}') return false;
  size_t k = i;
  while (k > 0 && is_space(s[k - 1])) --k;
  if (k == i || k == 0) return true;
  const char word = s[k - 1];
  return !(is_digit(word) || word == ')' || word == ']' || word == '}');
}

// One number starting at s[i]: [sign] [$] (fraction | decimal [/ decimal]) [%]. Sets `end`.
bool scan_number(std::string_view s, size_t i, size_t& end, MathValue& out) {
  bool negative = false;
  if ((s[i] == '-' || s[i] == '+') && is_sign(s, i)) {
    negative = s[i] == '-';
    ++i;
    if (i < s.size() && s[i] == '$') ++i;
  }
  if (i > 0 && s[i] == '.' && is_digit(s[i - 1])) return false;
  Rational value;
  if (i < s.size() && s[i] == '\\') {
    if (!scan_latex_fraction(s, i, value)) return false;
  } else {
    if (!scan_decimal(s, i, value)) return false;
    size_t j = i;
    skip_spaces(s, j);
    if (j < s.size() && s[j] == '/') {
      ++j;
      skip_spaces(s, j);
      Rational den;
      if (j < s.size() && is_digit(s[j]) && scan_decimal(s, j, den)) {
        auto q = divide(value, den);
        if (!q) return false;
        value = *q;
        i = j;
      }
    }
  }
  if (negative) value.num = -value.num;
  out = MathValue{value, false};
  size_t j = i;
  if (j < s.size() && s[j] == ' ') ++j;
  if (j < s.size() && s[j] == '%') {
    out.percent = true;
    i = j + 1;
  }
  end = i;
  return true;
}

// The [begin, end) span and value of the last number in `s`.
std::optional<std::pair<std::pair<size_t, size_t>, MathValue>> last_number(std::string_view s) {
  std::optional<std::pair<std::pair<size_t, size_t>, MathValue>> last;
  size_t i = 0;
  while (i < s.size()) {
    size_t end = 0;
    MathValue value;
    if (scan_number(s, i, end, value)) {
      last = {{i, end}, value};
      i = end;
    } else if (is_digit(s[i])) {
      while (i < s.size() && (is_digit(s[i]) || s[i] == '.' || s[i] == ',')) ++i;  // a run too long to be exact
    } else {
      ++i;
    }
  }
  return last;
}

// The content of the last balanced \boxed{...}.
std::optional<std::string_view> last_boxed(std::string_view text) {
  for (size_t at = text.rfind("\\boxed"); at != std::string_view::npos;
       at = at == 0 ? std::string_view::npos : text.rfind("\\boxed", at - 1)) {
    size_t i = at + 6;
    skip_spaces(text, i);
    if (i >= text.size() || text[i] != '{') continue;
    int depth = 0;
    for (size_t j = i; j < text.size(); ++j) {
      if (text[j] == '{') ++depth;
      if (text[j] == '}' && --depth == 0) return text.substr(i + 1, j - i - 1);
    }
  }
  return std::nullopt;
}

// The rest of the last line that starts with "####".
std::optional<std::string_view> last_hash_line(std::string_view text) {
  std::optional<std::string_view> found;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(begin, end - begin));
    if (line.substr(0, 4) == "####") found = trim(line.substr(4));
    begin = end + 1;
  }
  return found;
}

// `text` trimmed, whitespace collapsed to one space, lower-cased; with `drop_period`, final periods dropped.
std::string canonical_text(std::string_view text, bool drop_period = true) {
  std::string out;
  for (char c : trim(text)) {
    if (is_space(c)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  while (drop_period && !out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  return out;
}

// `s` without `open` and `close` around it (and the whitespace inside them), when it has both.
bool strip_around(std::string_view& s, std::string_view open, std::string_view close) {
  if (s.size() < open.size() + close.size() || !s.starts_with(open) || !s.ends_with(close)) return false;
  s = trim(s.substr(open.size(), s.size() - open.size() - close.size()));
  return true;
}

std::string value_key(const MathValue& v) { return to_string(v.value) + (v.percent ? "%" : ""); }

// A reading of an answer text: its number if `number` found one, else its canonical text.
std::optional<FinalAnswer> final_answer(std::optional<MathValue> number, std::string_view text, bool drop_period) {
  if (number) return FinalAnswer{number, value_key(*number)};
  std::string key = canonical_text(text, drop_period);
  if (key.empty() && drop_period) key = canonical_text(text, false);  // "." stays an answer
  if (key.empty()) return std::nullopt;
  return FinalAnswer{std::nullopt, std::move(key)};
}

}  // namespace

std::optional<std::string> extract_final_answer(std::string_view completion) {
  const size_t close = completion.rfind("</answer>");
  if (close != std::string_view::npos) {
    const size_t open = completion.rfind("<answer>", close);
    if (open != std::string_view::npos) return std::string(trim(completion.substr(open + 8, close - open - 8)));
  }
  if (auto boxed = last_boxed(completion)) return std::string(trim(*boxed));
  if (auto line = last_hash_line(completion); line && !line->empty()) return std::string(*line);
  const std::string s = normalize(completion);
  if (auto number = last_number(s)) {
    const auto [begin, end] = number->first;
    return s.substr(begin, end - begin);
  }
  return std::nullopt;
}

std::optional<MathValue> parse_math_answer(std::string_view text) {
  const std::string s = normalize(text);
  auto number = last_number(s);
  if (!number) return std::nullopt;
  return number->second;
}

bool math_answers_equal(std::string_view given, std::string_view reference) {
  const auto g = parse_math_answer(given), r = parse_math_answer(reference);
  if (g && r) {
    if (g->value == r->value) return true;
    const Rational hundred{100, 1};
    if (g->percent && !r->percent) {
      auto scaled = divide(g->value, hundred);
      return scaled && *scaled == r->value;
    }
    if (r->percent && !g->percent) {
      auto scaled = divide(r->value, hundred);
      return scaled && *scaled == g->value;
    }
    return false;
  }
  if (g || r) return false;
  const std::string a = canonical_text(given), b = canonical_text(reference);
  return !a.empty() && a == b;
}

std::optional<MathValue> parse_single_value(std::string_view text) {
  // Whitespace counts as in the vote key (canonical_text): any run of it is one space, so that
  // "58\t%" reads as "58 %" does.
  std::string normalized;
  for (char c : normalize(text)) {
    if (!is_space(c)) normalized.push_back(c);
    else if (normalized.empty() || normalized.back() != ' ') normalized.push_back(' ');
  }
  std::string_view s = trim(normalized);
  if (!strip_around(s, "$$", "$$") && !strip_around(s, "$", "$")) strip_around(s, "\\(", "\\)");
  strip_around(s, "\\boxed{", "}");
  size_t i = 0;
  if (!s.empty() && s[0] == '$') {  // a currency sign before the sign; scan_number reads one after it
    ++i;
    skip_spaces(s, i);
  }
  size_t end = 0;
  MathValue value;
  if (i >= s.size() || !scan_number(s, i, end, value) || end != s.size()) return std::nullopt;
  return value;
}

std::optional<FinalAnswer> strict_final_answer(std::string_view completion) {
  const auto block = r1_answer_block(completion, ThinkOpening::either);
  if (!block) return std::nullopt;
  return final_answer(parse_single_value(*block), *block, false);
}

std::optional<FinalAnswer> lenient_final_answer(std::string_view completion) {
  const auto text = extract_final_answer(completion);
  if (!text) return std::nullopt;
  return final_answer(parse_math_answer(*text), *text, true);
}

bool strict_answer_matches(const FinalAnswer& given, std::string_view reference) {
  const auto r = parse_single_value(reference);
  if (!r) return !given.number && given.key == canonical_text(reference, false);
  return given.number && given.number->value == r->value && (!given.number->percent || r->percent);
}

}  // namespace aha::rl
