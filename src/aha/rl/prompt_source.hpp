// The prompts of a GRPO or distillation run: a dataset file or a built-in task, formatted by a
// prompt template, tokenized, and checked against the rewards and the context size.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aha/rl/grpo_rollout.hpp"
#include "aha/rl/reward.hpp"
#include "aha/tokenizer/tokenizer.hpp"

namespace aha::rl {

struct PromptSourceOptions {
  std::string model_dir;        // for its chat template
  std::string dataset_path;     // a JSONL file, or
  std::string dataset_task;     // a built-in task (its train split)
  int64_t num_examples = 1000;  // items a task generates
  uint64_t seed = 42;
  std::string prompt_template;  // r1_zero, chat or raw; "": chat when the model has a template, else r1_zero
  int64_t max_prompt_length = 512;
  int64_t context = 0;  // positions a prompt plus one generated token must fit in
};

// The formatted, tokenized prompts. A row whose answer a reward cannot use, or a prompt longer
// than max_prompt_length or the context, is a bad-input Error naming the row.
std::vector<GrpoPrompt> load_prompts(const PromptSourceOptions& options, const tokenizer::Tokenizer& tokenizer,
                                     const std::vector<std::unique_ptr<RewardFunction>>& rewards);

// The tokenizer files of model directory `dir` that a model written from it carries along.
std::vector<std::string> tokenizer_files_of(const std::string& dir);

}  // namespace aha::rl
