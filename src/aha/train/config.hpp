// The configuration of `aha pretrain` and `aha sft`: a YAML file with TRL's key names, every key
// overridable by `--set key=value`, validated with errors that name the file, line and key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aha/train/config_reader.hpp"  // nearest_key
#include "aha/train/training_arguments.hpp"

namespace aha::train {

enum class TrainMode { pretrain, sft };

struct TrainConfig : TrainingArguments {
  TrainConfig() {
    dataset_num_examples = 10000;
    learning_rate = 2e-5;
  }
  TrainMode mode = TrainMode::pretrain;
  // Model: start from an HF directory (model_name_or_path), or build a new one from a config.json.
  std::string model_config, tokenizer;
  // Data.
  std::string eval_dataset_path;
  bool skip_bad_lines = false;
  int64_t max_length = 1024;
  bool truncation = true;                    // TRL truncates at max_length; false makes a longer sequence an error
  std::optional<bool> completion_only_loss;  // unset: true for prompt-completion data
  bool assistant_only_loss = false;
  bool packing = false;
  bool padding_free = false;  // no rows for padding: a batch's sequences back to back (TRL's padding_free)
  // sft on a built-in task or a GSM8K-format file: how prompts are formatted (r1_zero,
  // r1_zero_think, chat or raw; "": chat when the model has a chat template, else r1_zero), as
  // `aha grpo` formats them.
  std::string prompt_template;
  int64_t eval_steps = 0;  // 0: logging_steps
};

// Reads the YAML file `path` for `mode` and applies `overrides` ("key=value", value in YAML);
// unknown keys (with the nearest valid key suggested), type errors and bad values are Errors.
TrainConfig load_train_config(const std::string& path, TrainMode mode, const std::vector<std::string>& overrides);

// The resolved config as YAML, every key written.
std::string to_yaml(const TrainConfig& config);

// Checks the values and their combinations; `origin` names the config in errors.
void validate(const TrainConfig& config, const std::string& origin);

// Checks that the config's input files exist (check_input_paths), before anything is written.
void check_input_paths(const TrainConfig& config, const std::string& config_path);

}  // namespace aha::train
