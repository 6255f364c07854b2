// The configuration of `aha pretrain` and `aha sft`: a YAML file with TRL's key names, every key
// overridable by `--set key=value`, validated with errors that name the file, line and key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aha/train/config_reader.hpp"  // nearest_key

namespace aha::train {

enum class TrainMode { pretrain, sft };

struct TrainConfig {
  TrainMode mode = TrainMode::pretrain;
  // Model: start from an HF directory, or build a new one from a config.json.
  std::string model_name_or_path, model_config, tokenizer;
  // Data.
  std::string dataset_path, dataset_task, eval_dataset_path;
  int64_t dataset_num_examples = 10000;  // examples dataset_task generates
  bool skip_bad_lines = false;
  int64_t max_length = 1024;
  bool truncation = true;  // TRL truncates at max_length; false makes a longer sequence an error
  std::optional<bool> completion_only_loss;  // unset: true for prompt-completion data
  bool assistant_only_loss = false;
  bool packing = false;
  // Optimisation.
  double learning_rate = 2e-5;
  double num_train_epochs = 3.0;
  int64_t max_steps = -1;
  int64_t per_device_train_batch_size = 8;
  int64_t gradient_accumulation_steps = 1;
  double warmup_ratio = 0.0;
  int64_t warmup_steps = 0;
  std::string lr_scheduler_type = "linear";
  double weight_decay = 0.0;
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;
  int64_t seed = 42;
  bool gradient_checkpointing = false;
  int64_t threads = 0;  // 0: --threads, AHA_NUM_THREADS or all cores
  // Run directory.
  std::string output_dir;
  int64_t save_steps = 500;
  int64_t save_total_limit = 0;  // 0: keep every checkpoint
  int64_t logging_steps = 10;
  int64_t eval_steps = 0;  // 0: logging_steps
  // LoRA (TRL's ModelConfig names and defaults; targets default to PEFT's q_proj, v_proj).
  bool use_peft = false;
  int64_t lora_r = 16;
  double lora_alpha = 32.0;
  double lora_dropout = 0.05;
  std::vector<std::string> lora_target_modules = {"q_proj", "v_proj"};
};

// Reads the YAML file `path` for `mode` and applies `overrides` ("key=value", value in YAML);
// unknown keys (with the nearest valid key suggested), type errors and bad values are Errors.
TrainConfig load_train_config(const std::string& path, TrainMode mode, const std::vector<std::string>& overrides);

// The resolved config as YAML, every key written.
std::string to_yaml(const TrainConfig& config);

// Checks the values and their combinations; `origin` names the config in errors.
void validate(const TrainConfig& config, const std::string& origin);

}  // namespace aha::train
