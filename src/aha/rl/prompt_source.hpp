// The prompts of a GRPO or distillation run: a dataset file or a built-in task, formatted by a
// prompt template, tokenized, checked against the rewards, and fitted to max_prompt_length and the
// context (prompt_truncation).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aha/data/prompt_fit.hpp"
#include "aha/rl/grpo_rollout.hpp"
#include "aha/rl/reward.hpp"
#include "aha/tokenizer/tokenizer.hpp"

namespace aha::rl {

struct PromptSourceOptions {
  std::string model_dir;        // for its chat template and the prompt template it was trained with
  std::string dataset_path;     // a JSONL file, or
  std::string dataset_task;     // a built-in task (its `split`)
  int64_t num_examples = 1000;  // items a task generates
  uint64_t seed = 42;
  std::string prompt_template;  // r1_zero, r1_zero_think, chat or raw; "": data::resolve_prompt_template's default
  int64_t max_prompt_length = 512;
  int64_t context = 0;  // positions a prompt plus one generated token must fit in
  data::PromptTruncation truncation = data::PromptTruncation::left;
  std::string split = "train";  // of dataset_task: train, or test for held-out prompts
};

// The prompts a run uses and how they were made.
struct PromptSet {
  std::vector<GrpoPrompt> prompts;  // skipped ones left out
  std::string prompt_template;      // the template's name, resolved
  data::PromptFitCounts counts;
  std::string notice;  // one line when prompts were truncated or skipped, else ""
};

// The formatted, tokenized prompts. A row whose answer a reward cannot use is a bad-input Error
// naming the row; a prompt longer than max_prompt_length or the context is truncated from the
// left, left out or an Error (options.truncation); no prompt left is an Error.
PromptSet load_prompts(const PromptSourceOptions& options, const tokenizer::Tokenizer& tokenizer,
                       const std::vector<std::unique_ptr<RewardFunction>>& rewards);

// The tokenizer files of model directory `dir` that a model written from it carries along.
std::vector<std::string> tokenizer_files_of(const std::string& dir);

}  // namespace aha::rl
