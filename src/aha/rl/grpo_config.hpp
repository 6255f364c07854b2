// The configuration of `aha grpo`: TRL's GRPOConfig key names and DESIGN.md's defaults, plus
// DAPO's dynamic_sampling; every key overridable by `--set key=value`.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace aha::rl {

// One entry of reward_funcs: a reward name and its options (e.g. {"command": ...} for external).
struct RewardSpec {
  std::string name;
  nlohmann::json options = nlohmann::json::object();
};

struct GrpoConfig {
  // Model and data.
  std::string model_name_or_path, dataset_path, dataset_task;
  int64_t dataset_num_examples = 1000;  // items dataset_task generates (its train split)
  std::string prompt_template;          // r1_zero, chat or raw; "": chat when the model has one, else r1_zero
  std::vector<RewardSpec> reward_funcs;
  std::vector<double> reward_weights;   // empty: all 1
  // Rollouts.
  int64_t num_generations = 8;
  double temperature = 1.0, top_p = 1.0;
  int64_t top_k = 0;
  int64_t max_prompt_length = 512;
  int64_t max_completion_length = 256;
  bool mask_truncated_completions = false;
  bool dynamic_sampling = false;
  int64_t max_dynamic_sampling_rounds = 8;  // extra prompt batches per step at most
  // Objective.
  double beta = 0.0, epsilon = 0.2;
  std::optional<double> epsilon_high;  // unset: epsilon
  std::string loss_type = "dapo", scale_rewards = "group";
  int64_t num_iterations = 1;
  // Optimisation (TRL's Trainer names).
  double learning_rate = 1e-6;
  int64_t max_steps = -1;
  double num_train_epochs = 1.0;
  int64_t per_device_train_batch_size = 8;  // completions per micro-batch
  int64_t gradient_accumulation_steps = 1;
  std::string lr_scheduler_type = "linear";
  double warmup_ratio = 0.0;
  int64_t warmup_steps = 0;
  double weight_decay = 0.0, adam_beta1 = 0.9, adam_beta2 = 0.999, adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;
  bool gradient_checkpointing = false;
  int64_t seed = 42, threads = 0;
  // Run directory.
  std::string output_dir;
  int64_t save_steps = 500, save_total_limit = 0, logging_steps = 1, log_completions_steps = 10;
  // LoRA (TRL's ModelConfig names and defaults, as `aha sft`): only the adapters train, and the
  // KL reference is the base model with the adapters switched off.
  bool use_peft = false;
  int64_t lora_r = 16;
  double lora_alpha = 32.0;
  double lora_dropout = 0.05;
  std::vector<std::string> lora_target_modules = {"q_proj", "v_proj"};
};

// Reads the YAML file `path` and applies `overrides` ("key=value", value in YAML); unknown keys
// (with the nearest valid key suggested), type errors and bad values are Errors naming file:line.
GrpoConfig load_grpo_config(const std::string& path, const std::vector<std::string>& overrides);

// reward_funcs in YAML: a name, a list of names, or a list of mappings {name: N, <option>: ...};
// `where` prefixes errors.
std::vector<RewardSpec> parse_reward_funcs(const YAML::Node& node, const std::string& where);

// Checks values and combinations (e.g. num_generations 1, a batch not divisible by it).
void validate(const GrpoConfig& config, const std::string& origin);

// The resolved config as YAML, every key written.
std::string to_yaml(const GrpoConfig& config);

}  // namespace aha::rl
