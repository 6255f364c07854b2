// Exact rational numbers for checking answers: a reduced fraction of 128-bit integers, with every
// operation reporting overflow instead of wrapping.
#pragma once

#include <optional>
#include <string>

namespace aha {

struct Rational {
  __int128 num = 0;
  __int128 den = 1;  // > 0; gcd(num, den) == 1

  bool operator==(const Rational&) const = default;
};

// num/den reduced; nullopt when den is 0.
std::optional<Rational> make_rational(__int128 num, __int128 den);

// a + b, a - b, a * b, a / b; nullopt on overflow or division by zero.
std::optional<Rational> add(const Rational& a, const Rational& b);
std::optional<Rational> subtract(const Rational& a, const Rational& b);
std::optional<Rational> multiply(const Rational& a, const Rational& b);
std::optional<Rational> divide(const Rational& a, const Rational& b);

// "7", "-3/4": for messages and tests.
std::string to_string(const Rational& r);

}  // namespace aha
