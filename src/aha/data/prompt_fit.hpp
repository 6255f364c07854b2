// Prompts that do not fit: a tokenized prompt longer than max_prompt_length, or one that leaves no
// position to generate in the context, is cut from the left (TRL's GRPOTrainer keeps a prompt's
// last max_prompt_length tokens, where the question and the generation prompt are), left out, or
// an error naming the item and the setting to change (prompt_truncation: left | skip | error).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/tasks/task.hpp"

namespace aha::data {

enum class PromptTruncation { left, skip, error };

// "left", "skip" or "error"; anything else is a bad-input Error naming `setting`.
PromptTruncation parse_prompt_truncation(const std::string& name, const std::string& setting);

// The name parse_prompt_truncation reads.
const char* prompt_truncation_name(PromptTruncation truncation);

// How errors name the settings: config keys (prompt_truncation: left) or command-line flags
// (--prompt-truncation left).
enum class SettingNames { config_keys, cli_flags };

struct PromptLimits {
  int64_t max_prompt_length = 0;  // tokens at most (0: no limit but the context)
  int64_t context = 0;            // positions a prompt and one generated token must fit in (0: none)
  PromptTruncation truncation = PromptTruncation::left;
  SettingNames names = SettingNames::config_keys;
};

// The most tokens a prompt may keep: max_prompt_length, and context - 1.
int64_t prompt_token_limit(const PromptLimits& limits);

enum class PromptFit { fits, truncated, skipped };

// Fits the prompt `ids` of item `item` (as errors name it, e.g. "data.jsonl:18") to `limits`: a
// prompt over the limit keeps its last tokens (left), is to be left out (skip: `ids` unchanged), or
// is a bad-input Error naming the item, its length, the limit and the settings that let it through.
PromptFit fit_prompt(std::vector<int32_t>& ids, const PromptLimits& limits, const std::string& item);

// How messages name item `index` (0-based) of `origin` (a file path or "dataset_task NAME"): path:line
// for an item read from a file, else "origin item index+1".
std::string prompt_item_name(const std::string& origin, const tasks::PromptItem& item, size_t index);

// What fitting did to a dataset's prompts.
struct PromptFitCounts {
  int64_t prompts = 0;    // prompts read
  int64_t truncated = 0;  // cut to the limit
  int64_t skipped = 0;    // left out
  // One line for the user when any prompt was truncated or skipped ("" otherwise), e.g. "12 of 7473
  // prompts of F were longer than 255 tokens: truncated from the left (prompt_truncation: left)".
  std::string notice(const std::string& origin, const PromptLimits& limits) const;
};

}  // namespace aha::data
