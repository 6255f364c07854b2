// The keys every trainer (pretrain, sft, grpo) shares, under the Hugging Face Trainer's and TRL's
// names, as TRL's configs derive from transformers' TrainingArguments: read, written and
// checked once here; TrainConfig and GrpoConfig add their own keys. The model, data and run keys
// among them (RunArguments) are also `aha distill`'s, which has no optimizer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace YAML {
class Emitter;
class Node;
}  // namespace YAML

namespace aha::train {

// The model, data and run keys of every run config: the trainers' and `aha distill`'s.
struct RunArguments {
  std::string model_name_or_path;
  std::string dataset_path, dataset_task;
  int64_t dataset_num_examples = 1000;  // examples (or prompts) dataset_task generates
  int64_t seed = 42;
  int64_t threads = 0;  // 0: --threads, AHA_NUM_THREADS or all cores
  std::string output_dir;
  // Train (or distill) into an output_dir that holds files but no checkpoint, replacing them; with
  // checkpoints and no --resume, delete them and start afresh (--overwrite).
  bool overwrite_output_dir = false;
};

// RunArguments plus the optimisation, checkpointing and LoRA keys every trainer shares.
struct TrainingArguments : RunArguments {
  // Optimisation.
  double learning_rate = 5e-5;
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
  bool gradient_checkpointing = false;
  bool bf16 = false;  // mixed precision: bf16 matrix products, fp32 master weights, gradients and AdamW
  // Run directory (output_dir is RunArguments').
  int64_t save_steps = 500;
  int64_t save_total_limit = 0;  // 0: keep every checkpoint
  int64_t logging_steps = 10;
  // LoRA (TRL's ModelConfig names and defaults; targets default to PEFT's q_proj, v_proj).
  bool use_peft = false;
  int64_t lora_r = 16;
  double lora_alpha = 32.0;
  double lora_dropout = 0.05;
  std::vector<std::string> lora_target_modules = {"q_proj", "v_proj"};
};

// The names of TrainingArguments' keys, in the order to_yaml writes them.
std::vector<std::string> training_argument_names();

// Sets key `name` of `args` from `value` and returns true, or returns false when `name` is not a
// TrainingArguments key. `where` prefixes errors. Setting dataset_path clears dataset_task and the
// reverse (the later one wins).
bool set_training_argument(TrainingArguments& args, const std::string& name, const YAML::Node& value,
                           const std::string& where);

// Writes every TrainingArguments key and value into an open YAML mapping.
void emit_training_arguments(YAML::Emitter& out, const TrainingArguments& args);

// Checks the shared values and their combinations; `origin` names the config in errors.
void validate_training_arguments(const TrainingArguments& args, const std::string& origin);

// The names of RunArguments' keys.
std::vector<std::string> run_argument_names();

// Sets key `name` of `args` from `value` and returns true, or returns false when `name` is not a
// RunArguments key. `where` prefixes errors. dataset_path and dataset_task clear each other.
bool set_run_argument(RunArguments& args, const std::string& name, const YAML::Node& value, const std::string& where);

// Checks output_dir (required; `output_dir_is` says what it is in the error), one of dataset_path
// and dataset_task, dataset_num_examples, seed and threads; `origin` names the config.
void validate_run_arguments(const RunArguments& args, const std::string& origin, const char* output_dir_is);

}  // namespace aha::train
