#include "aha/tasks/countdown_expression.hpp"

#include <algorithm>

namespace aha::tasks {
namespace {

constexpr int kMaxDepth = 64;
constexpr int kMaxLiteralDigits = 9;

class Parser {
 public:
  Parser(std::string_view text, CountdownExpression& out) : text_(text), out_(out) {}

  // The whole text as one expression, or nullopt with out_.error set.
  std::optional<Rational> parse_all() {
    auto value = expression(0);
    if (!value) return std::nullopt;
    skip_spaces();
    if (pos_ < text_.size()) return error("unexpected character");
    return value;
  }

 private:
  std::optional<Rational> error(const char* what) {
    if (out_.error.empty()) out_.error = std::string(what) + " at offset " + std::to_string(pos_);
    return std::nullopt;
  }

  void skip_spaces() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  // Consumes `c` (after spaces) when it is next.
  bool accept(char c) {
    skip_spaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::optional<Rational> expression(int depth) {
    if (depth > kMaxDepth) return error("parentheses nested too deep");
    auto left = term(depth);
    while (left) {
      const bool plus = accept('+');
      if (!plus && !accept('-')) return left;
      auto right = term(depth);
      if (!right) return std::nullopt;
      left = plus ? add(*left, *right) : subtract(*left, *right);
      if (!left) return error("value too large");
    }
    return std::nullopt;
  }

  std::optional<Rational> term(int depth) {
    auto left = factor(depth);
    while (left) {
      const bool times = accept('*');
      if (!times && !accept('/')) return left;
      auto right = factor(depth);
      if (!right) return std::nullopt;
      if (!times && right->num == 0) return error("division by zero");
      left = times ? multiply(*left, *right) : divide(*left, *right);
      if (!left) return error("value too large");
    }
    return std::nullopt;
  }

  std::optional<Rational> factor(int depth) {
    if (accept('(')) {
      auto inner = expression(depth + 1);
      if (!inner) return std::nullopt;
      if (!accept(')')) return error("expected ')'");
      return inner;
    }
    skip_spaces();
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    const size_t digits = pos_ - start;
    if (digits == 0) return error(pos_ < text_.size() ? "expected a number or '('" : "expression ends early");
    if (digits > 1 && text_[start] == '0') return error("number with a leading zero");
    if (digits > kMaxLiteralDigits) return error("number too long");
    int64_t literal = 0;
    for (size_t i = start; i < pos_; ++i) literal = literal * 10 + (text_[i] - '0');
    out_.literals.push_back(literal);
    return Rational{literal, 1};
  }

  std::string_view text_;
  CountdownExpression& out_;
  size_t pos_ = 0;
};

}  // namespace

CountdownExpression parse_countdown_expression(std::string_view text) {
  CountdownExpression out;
  Parser parser(text, out);
  out.value = parser.parse_all();
  if (out.value) out.error.clear();
  return out;
}

bool countdown_solves(const CountdownExpression& expression, const std::vector<int64_t>& numbers, int64_t target) {
  if (!expression.value || *expression.value != Rational{target, 1}) return false;
  std::vector<int64_t> used = expression.literals, given = numbers;
  std::sort(used.begin(), used.end());
  std::sort(given.begin(), given.end());
  return used == given;
}

}  // namespace aha::tasks
