// Small text helpers shared by readers and reward functions.
#pragma once

#include <string_view>

namespace aha {

// ASCII whitespace as the reward functions and prompt readers treat it: space, tab, \n, \r.
inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// An ASCII decimal digit.
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// `s` without leading and trailing is_space characters.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace aha
