// The built-in text task `equations` (formerly `arithmetic`): lines such as "12+7=19", deterministic
// from a seed, for pretraining.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aha::tasks {

// `count` texts "a+b=c" or "a-b=c" (a, b in 0..99, c >= 0), drawn from `seed`.
std::vector<std::string> arithmetic_texts(uint64_t seed, int64_t count);

}  // namespace aha::tasks
