// Prompt datasets for GRPO, evaluation and distillation: each item is a prompt and the reference
// answer a reward checks completions against.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "aha/tokenizer/chat_template.hpp"

namespace aha::data {

struct PromptItem {
  nlohmann::json prompt;  // a string, or a messages array ([{"role","content"}, ...])
  nlohmann::json answer;  // see rl::RewardInput::answer
  std::string reasoning;  // worked steps of a correct solution (built-in tasks; GSM8K's solution
                          // text without "<<…>>" notes and the "####" line); empty when unknown
  std::string solution;   // what a correct completion puts in <answer> (a number, a countdown
                          // expression); empty when unknown
};

// JSONL with "prompt" (text or messages) and "answer", or GSM8K's format ("question", and
// "answer" whose last line is "#### N": N becomes the answer). Errors name path:line.
std::vector<PromptItem> read_prompt_dataset(const std::string& path);

// A built-in task ("countdown", "arithmetic"): `count` items of `split` ("train" or "test";
// the splits never share an item), deterministic in `seed`.
std::vector<PromptItem> generate_task(const std::string& name, const std::string& split, int64_t count,
                                      uint64_t seed);

// The names generate_task accepts: "arithmetic" and "counting" (word problems), "countdown" (3 or
// 4 numbers), "countdown3", "countdown4".
std::vector<std::string> task_names();

// "train" or "test" for a built-in task's item, from a hash of its canonical description (which
// ignores wording and order), so that no seed can put one problem in both splits; 1 in 10 is "test".
std::string task_split(std::string_view canonical_item);

// What the built-in generators share: draws problems until `count` distinct ones of `split` are
// found. `draw` draws the next problem and returns its canonical description (empty: nothing
// usable was drawn); `make` turns the problem just drawn into its item. At most
// 10000 + draws_per_item * count draws, then a bad-input Error naming `task`.
std::vector<PromptItem> distinct_split_items(std::string_view task, const std::string& split, int64_t count,
                                             int64_t draws_per_item, const std::function<std::string()>& draw,
                                             const std::function<PromptItem()>& make);

enum class PromptTemplate { r1_zero, chat, raw };

// "r1_zero", "chat" or "raw"; anything else is a bad-input Error.
PromptTemplate parse_prompt_template(const std::string& name);

// The text the model is given for `item`: R1-Zero's template around the prompt's text, the
// model's chat template (with the generation prompt; `chat_template` must not be null), or the
// prompt's text alone. A messages prompt with r1_zero or raw uses its last user message.
std::string format_prompt(const PromptItem& item, PromptTemplate format,
                          const tokenizer::ChatTemplate* chat_template);

}  // namespace aha::data
