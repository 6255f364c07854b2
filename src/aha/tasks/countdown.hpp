// The Countdown task as TinyZero poses it: reach a target from 3 or 4 numbers with + - * / and
// parentheses, each number used once. Every item is solvable: it is generated from an expression.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/tasks/task.hpp"

namespace aha::tasks {

struct CountdownOptions {
  int min_numbers = 3;
  int max_numbers = 4;
  int64_t max_number = 99;  // numbers are drawn from 1 .. max_number
  int64_t min_target = 10;
  int64_t max_target = 100;
};

// TinyZero's user prompt for `numbers` and `target` ("Using the numbers [3, 5, 7], create an
// equation that equals 22. ... for example <answer> (1 + 2) / 3 </answer>.").
std::string countdown_prompt(const std::vector<int64_t>& numbers, int64_t target);

// `count` distinct items of `split`, deterministic in `seed`; answer {"target", "numbers"},
// reasoning the generating steps ("23 - 5 = 18\n18 * 4 = 72"), solution the expression.
std::vector<PromptItem> countdown_items(const std::string& split, int64_t count, uint64_t seed,
                                        const CountdownOptions& options = {});

}  // namespace aha::tasks
