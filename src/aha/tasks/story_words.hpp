// The names and things of the built-in word problems (`word_problems`, `counting`).
#pragma once

#include <array>

namespace aha::tasks {

inline constexpr std::array<const char*, 16> kStoryNames = {"Ana",   "Ben",  "Chloe", "David", "Emma", "Farid",
                                                            "Grace", "Hugo", "Ines",  "Jonas", "Kira", "Liam",
                                                            "Mia",   "Noah", "Olga",  "Pedro"};
inline constexpr std::array<const char*, 8> kStoryThings = {"apples",  "marbles", "stickers", "cookies",
                                                            "pencils", "cards",   "shells",   "stamps"};

}  // namespace aha::tasks
