// The `word_problems` task (formerly `arithmetic`): short multi-step word problems (two or three operations on small
// integers) with a whole-number answer, from several templates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/tasks/task.hpp"

namespace aha::tasks {

// The number of problem templates.
int word_problem_template_count();

// `count` distinct items of `split`, deterministic in `seed`; answer the number (a JSON integer),
// reasoning one "a op b = c" line per step, solution the number as text.
std::vector<PromptItem> word_problem_items(const std::string& split, int64_t count, uint64_t seed);

}  // namespace aha::tasks
