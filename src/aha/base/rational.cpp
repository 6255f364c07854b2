#include "aha/base/rational.hpp"

namespace aha {
namespace {

__int128 abs128(__int128 x) { return x < 0 ? -x : x; }

__int128 gcd128(__int128 a, __int128 b) {
  a = abs128(a);
  b = abs128(b);
  while (b != 0) {
    const __int128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// Values are kept well inside the 128-bit range so that negation never overflows.
constexpr __int128 kLimit = (static_cast<__int128>(1) << 125);

bool in_range(__int128 x) { return x > -kLimit && x < kLimit; }

}  // namespace

std::optional<Rational> make_rational(__int128 num, __int128 den) {
  if (den == 0 || !in_range(num) || !in_range(den)) return std::nullopt;
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const __int128 g = gcd128(num, den);
  return Rational{num / g, den / g};
}

std::optional<Rational> add(const Rational& a, const Rational& b) {
  __int128 x, y, num, den;
  if (__builtin_mul_overflow(a.num, b.den, &x) || __builtin_mul_overflow(b.num, a.den, &y) ||
      __builtin_add_overflow(x, y, &num) || __builtin_mul_overflow(a.den, b.den, &den))
    return std::nullopt;
  return make_rational(num, den);
}

std::optional<Rational> subtract(const Rational& a, const Rational& b) { return add(a, Rational{-b.num, b.den}); }

std::optional<Rational> multiply(const Rational& a, const Rational& b) {
  __int128 num, den;
  if (__builtin_mul_overflow(a.num, b.num, &num) || __builtin_mul_overflow(a.den, b.den, &den)) return std::nullopt;
  return make_rational(num, den);
}

std::optional<Rational> divide(const Rational& a, const Rational& b) {
  if (b.num == 0) return std::nullopt;
  return multiply(a, Rational{b.den, b.num});
}

std::string to_string(const Rational& r) {
  auto digits = [](__int128 x) {
    if (x == 0) return std::string("0");
    std::string s;
    const bool negative = x < 0;
    x = abs128(x);
    while (x > 0) {
      s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(x % 10)));
      x /= 10;
    }
    if (negative) s.insert(s.begin(), '-');
    return s;
  };
  return r.den == 1 ? digits(r.num) : digits(r.num) + "/" + digits(r.den);
}

}  // namespace aha
