// The built-in tasks: each generates prompt items with reference answers, split into train and test
// by a hash of the problem, so that no seed can put one problem in both splits.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "aha/base/json.hpp"

namespace aha::tasks {

struct PromptItem {
  Json prompt;            // a string, or a messages array ([{"role","content"}, ...])
  Json answer;            // what a verifier checks completions against
  std::string reasoning;  // worked steps of a correct solution (built-in tasks; GSM8K's solution
                          // text without "<<…>>" notes and the "####" line); empty when unknown
  std::string solution;   // what a correct completion puts in <answer> (a number, a countdown
                          // expression); empty when unknown
};

// A built-in prompt task ("countdown", "word_problems"): `count` items of `split` ("train" or
// "test"; the splits never share an item), deterministic in `seed`. The deprecated name
// "arithmetic" is "word_problems".
std::vector<PromptItem> generate_task(const std::string& name, const std::string& split, int64_t count, uint64_t seed);

// The names generate_task accepts: "word_problems" and "counting" (word problems), "countdown" (3
// or 4 numbers), "countdown3", "countdown4".
std::vector<std::string> task_names();

// What a built-in task gives: prompt items with answers (generate_task), or plain text for
// pretraining ("equations", data/text_dataset).
enum class TaskKind { prompts, text };

// The names of the built-in text tasks: "equations" ("12+7=19" lines).
std::vector<std::string> text_task_names();

// `name` as the current name of a task of `kind`: the deprecated "arithmetic" becomes "equations"
// for text and "word_problems" for prompts, and `deprecation` (when not null) receives a one-line
// notice saying so; any other name comes back as it is, with `deprecation` left empty.
std::string current_task_name(const std::string& name, TaskKind kind, std::string* deprecation);

// "train" or "test" for a built-in task's item, from a hash of its canonical description (which
// ignores wording and order), so that no seed can put one problem in both splits; 1 in 10 is "test".
std::string task_split(std::string_view canonical_item);

// A drawn problem's keys: `item` tells problems apart; `split` decides its split and is shared
// by problems that are the same up to wording and order (empty `item`: nothing usable was drawn).
struct ProblemKeys {
  std::string item, split;
};

// What the built-in generators share: draws problems until `count` distinct ones of `split` are
// found. `draw` draws the next problem and returns its keys; `make` turns the problem just drawn
// into its item. At most 10000 + draws_per_item * count draws, then a bad-input Error naming `task`.
std::vector<PromptItem> distinct_split_items(std::string_view task, const std::string& split, int64_t count,
                                             int64_t draws_per_item, const std::function<ProblemKeys()>& draw,
                                             const std::function<PromptItem()>& make);

}  // namespace aha::tasks
