// The `counting` task: three-step word problems on single-digit numbers ("Mia has 7 shells,
// buys 3 more, loses 4 and finds 2 more. How many shells now?"). Small enough that a model of
// a million parameters learns the arithmetic in minutes, so `aha demo` can show what RL adds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/tasks/task.hpp"

namespace aha::tasks {

// `count` distinct items of `split`, deterministic in `seed`; answer the number (a JSON integer),
// reasoning one "a op b = c" line per step (each line starts from the previous result), solution
// the number as text.
std::vector<PromptItem> counting_items(const std::string& split, int64_t count, uint64_t seed);

}  // namespace aha::tasks
