// The configuration of `aha grpo`: TRL's GRPOConfig key names and DESIGN.md's defaults, plus
// DAPO's dynamic_sampling; every key overridable by `--set key=value`. LoRA (use_peft) trains
// only the adapters, and the KL reference is then the base model with the adapters switched off.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aha/train/training_arguments.hpp"

namespace YAML {
class Node;
}

namespace aha::rl {

// One entry of reward_funcs: a reward name and its options (e.g. {"command": ...} for external).
struct RewardSpec {
  std::string name;
  nlohmann::json options = nlohmann::json::object();
};

// GRPOConfig's own keys; the shared ones (learning_rate, output_dir, LoRA, ...) come from
// TrainingArguments, with GRPO's defaults set here.
struct GrpoConfig : train::TrainingArguments {
  GrpoConfig() {
    learning_rate = 1e-6;
    num_train_epochs = 1.0;
    logging_steps = 1;
  }
  // Data.
  std::string prompt_template;  // r1_zero, r1_zero_think, chat or raw; "": the model's prompt_template.json, else chat
                                // when it has a chat template, else r1_zero
  std::vector<RewardSpec> reward_funcs;
  std::vector<double> reward_weights;  // empty: all 1
  // Rollouts (per_device_train_batch_size counts completions).
  int64_t num_generations = 8;
  double temperature = 1.0, top_p = 1.0;
  int64_t top_k = 0;
  int64_t max_prompt_length = 512;
  std::string prompt_truncation = "left";  // a longer prompt: left (keep its end, as TRL), skip or error
  int64_t max_completion_length = 256;
  bool mask_truncated_completions = false;
  bool dynamic_sampling = false;
  int64_t max_dynamic_sampling_rounds = 8;  // extra prompt batches per step at most
  // Quantized rollouts (docs/grpo.md, "Quantized rollouts"): "q8_0" samples with a q8_0 copy of the
  // policy, refreshed each rollout, "none" with the policy itself; TRL's vLLM correction keys.
  std::string rollout_quantization = "none";
  bool vllm_importance_sampling_correction = true;
  std::string vllm_importance_sampling_mode = "sequence_mask";
  double vllm_importance_sampling_cap = 3.0;
  // Objective.
  double beta = 0.0, epsilon = 0.2;
  std::optional<double> epsilon_high;  // unset: epsilon
  std::string loss_type = "dapo", scale_rewards = "group";
  int64_t num_iterations = 1;
  // Loss variants and the generation batch (docs/grpo.md, "Loss variants").
  std::string importance_sampling_level = "token";  // token, or sequence (GSPO)
  std::optional<double> delta;                      // unset: off (INTELLECT-2's two-sided clipping)
  double sapo_temperature_neg = 1.05, sapo_temperature_pos = 1.0;
  double top_entropy_quantile = 1.0;
  int64_t steps_per_generation = 0;   // micro-batches per generation; 0 (unset): gradient_accumulation_steps
  int64_t generation_batch_size = 0;  // completions per generation; 0 (unset): from steps_per_generation
  bool sync_ref_model = false;        // TR-DPO: ref = α·policy + (1 − α)·ref every ref_model_sync_steps
  double ref_model_mixup_alpha = 0.6;
  int64_t ref_model_sync_steps = 512;
  bool disable_dropout = false;  // true: LoRA dropout off
  // true: a group's completions share its prompt's rows in the training passes (grpo_update.cpp);
  // false: whole right-padded sequences, the layout (and fp32 bits) of versions before it.
  bool share_prompt_rows = true;
  // Run directory.
  int64_t log_completions_steps = 10;
  // Evaluation on held-out prompts (grpo_eval.hpp): every eval_steps (0: logging_steps) and at the
  // end when an eval dataset is given; eval_dataset_task generates the task's test split.
  std::string eval_dataset_path, eval_dataset_task;
  int64_t eval_dataset_num_examples = 100;
  int64_t eval_steps = 0;
  int64_t num_generations_eval = 0;  // samples per eval prompt for pass@k and maj@k; 0: num_generations
  bool load_best_model_at_end = false;
  std::string metric_for_best_model = "eval/pass@1";
  std::optional<bool> greater_is_better;  // unset: true, false for a metric ending in "loss"
};

// The eval metrics a config logs (eval/pass@1, eval/greedy_pass@1, eval/pass@K, eval/maj@K with K
// num_generations_eval, eval/reward, eval/rewards/<name>/mean); empty without an eval dataset.
std::vector<std::string> eval_metric_names(const GrpoConfig& config);

// Refuses the `format` reward after prompt_template r1_zero_think, which opens the think block, so
// that `format` could never score; `origin` names where the template came from.
void require_rewards_fit_template(const std::vector<RewardSpec>& rewards, const std::string& prompt_template,
                                  const std::string& origin);

// True when rollouts are sampled by a quantized copy of the policy (rollout_quantization not none).
inline bool quantized_rollouts(const GrpoConfig& config) { return config.rollout_quantization != "none"; }

// Every eval_steps (or logging_steps when 0).
int64_t eval_interval(const GrpoConfig& config);

// Reads the YAML file `path` and applies `overrides` ("key=value", value in YAML); unknown keys
// (with the nearest valid key suggested), type errors and bad values are Errors naming file:line.
GrpoConfig load_grpo_config(const std::string& path, const std::vector<std::string>& overrides);

// reward_funcs in YAML: a name, a list of names, or a list of mappings {name: N, <option>: ...};
// `where` prefixes errors.
std::vector<RewardSpec> parse_reward_funcs(const YAML::Node& node, const std::string& where);

// Checks values and combinations (e.g. num_generations 1, a batch not divisible by it).
void validate(const GrpoConfig& config, const std::string& origin);

// Micro-batches per generation batch with `processes` ranks: steps_per_generation, or
// generation_batch_size / (per_device_train_batch_size · processes), or gradient_accumulation_steps;
// an Error naming the key when they do not divide (see validate).
int64_t resolved_steps_per_generation(const GrpoConfig& config, int64_t processes, const std::string& origin);

// The resolved config as YAML, every key written.
std::string to_yaml(const GrpoConfig& config);

}  // namespace aha::rl
