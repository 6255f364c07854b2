// `aha distill`: rejection-sampling distillation as DeepSeek-R1 built its SFT set — a teacher
// model samples num_samples completions per prompt, the rewards keep the correct ones that ended
// at EOS, each distinct text once, and the kept pairs become a {"prompt", "completion", "answer",
// "verifier"} JSONL dataset that `aha sft` reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/base/progress.hpp"
#include "aha/rl/grpo_config.hpp"
#include "aha/train/training_arguments.hpp"

namespace aha::rl {

// The shared model, data and run keys (train::RunArguments: model_name_or_path is the teacher, an
// HF model directory with its tokenizer; output_dir receives the dataset) plus distill's own.
struct DistillConfig : train::RunArguments {
  std::string prompt_template;  // r1_zero, r1_zero_think, chat or raw; "": the teacher's prompt_template.json, else
                                // chat when it has a chat template, else r1_zero
  std::vector<RewardSpec> reward_funcs;
  double min_reward = 1.0;          // a completion is kept when every reward scores at least this
  int64_t num_samples = 4;          // completions sampled per prompt
  int64_t max_kept_per_prompt = 0;  // 0: keep every correct completion
  double temperature = 1.0, top_p = 1.0;
  int64_t top_k = 0;
  int64_t max_prompt_length = 512, max_completion_length = 256;
  std::string prompt_truncation = "left";  // a longer prompt: left (keep its end), skip or error
  int64_t batch_size = 64;                 // sequences the generator decodes together
  std::string dtype = "auto";              // the teacher's compute dtype: auto, float32, bfloat16 or q8_0 (--dtype)
};

// Reads the YAML file `path` and applies `overrides` ("key=value"); errors name file:line and key.
DistillConfig load_distill_config(const std::string& path, const std::vector<std::string>& overrides);

// What a distillation run produced.
struct DistillSummary {
  int64_t prompts = 0, generated = 0, kept = 0, prompts_with_kept = 0;
  int64_t prompts_truncated = 0;  // cut from the left to max_prompt_length or the context
  int64_t prompts_skipped = 0;    // left out (prompt_truncation: skip); not in `prompts`
  std::string prompt_template;    // the template's name, resolved
  int64_t no_eos = 0;             // samples cut off by max_completion_length before EOS: never kept
  int64_t rejected = 0;           // samples that ended at EOS but scored below min_reward
  int64_t duplicates = 0;         // accepted samples whose text an earlier one of the same prompt had
  std::string dataset_path;       // output_dir/train.jsonl
  std::string dtype;              // the teacher's compute dtype, resolved ("bfloat16")
};

// Runs the teacher over every prompt and writes output_dir/train.jsonl and DATASET.yaml
// (teacher, rewards, sampling settings and counts), each atomically; an existing one is a bad-input
// Error, before anything is generated, unless overwrite_output_dir. `progress` (may be empty) hears
// the completions generated of this process's share (under mpirun, its prompts' samples): once
// with 0 before generating, then as each completion finishes.
DistillSummary run_distill(const DistillConfig& config, const ProgressCallback& progress = {});

}  // namespace aha::rl
