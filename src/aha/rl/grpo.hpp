// `aha grpo`: Group Relative Policy Optimization as DeepSeek-R1 trained with it and TRL's
// GRPOTrainer runs it — rollouts, rewards, advantages, the clipped objective, AdamW — with
// metrics, completions, checkpoints and --resume in the Hugging Face Trainer's run layout.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aha/io/hf_config.hpp"
#include "aha/model/lora.hpp"
#include "aha/model/weights.hpp"
#include "aha/rl/grpo_config.hpp"
#include "aha/rl/grpo_eval.hpp"
#include "aha/rl/grpo_rollout.hpp"
#include "aha/rl/reward.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "aha/train/trainer.hpp"

namespace aha::rl {

// Everything a GRPO run starts from.
struct GrpoInputs {
  std::string config_json;  // the model's config.json text
  io::ModelConfig model_config;
  model::Weights weights;                    // with use_peft: the frozen base
  std::optional<model::Lora> lora;           // with use_peft: the adapters, initialised as PEFT does
  std::string base_model;                    // with use_peft: model_name_or_path, absolute
  std::vector<std::string> tokenizer_files;  // copied into every model directory written
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
  std::vector<GrpoPrompt> prompts;
  std::vector<GrpoPrompt> eval_prompts;  // eval_dataset_path or eval_dataset_task's test split (may be empty)
  PolicyEvaluator evaluate;              // with eval_prompts: eval::policy_evaluator (the caller sets it)
  std::string prompt_template;           // resolved; written beside every model as prompt_template.json
  std::string prompt_notice;             // how many prompts were truncated or skipped ("" when none)
  std::vector<std::unique_ptr<RewardFunction>> rewards;
  std::vector<int32_t> eos_ids;
};

// Loads the model (an adapter directory is merged into its base), its tokenizer, the prompts
// (dataset_path or dataset_task, formatted by prompt_template) and the reward functions the config
// names; with use_peft, new adapters on the model. A prompt longer than max_prompt_length, or one
// that leaves no room in the context, is truncated from the left, left out, or an Error naming it
// (prompt_truncation).
GrpoInputs load_grpo_inputs(const GrpoConfig& config);

// Run options (resuming, notices, progress with the step's mean reward) are the shared loop's.
using GrpoRunOptions = train::RunOptions;

// Runs (or resumes) GRPO on `inputs`; writes output_dir/config.yaml, metrics.jsonl,
// completions.jsonl, checkpoint-<step>/ and the final model at the top of output_dir.
train::RunSummary run_grpo(const GrpoConfig& config, GrpoInputs& inputs, const GrpoRunOptions& options);

}  // namespace aha::rl
