// Run-directory checkpoints in the Hugging Face Trainer's layout: output_dir/checkpoint-<step>/
// holds an HF model directory plus trainer_state.json, optimizer.safetensors, rng_state.json and
// data_state.json. A checkpoint is written under a temporary name (.tmp-checkpoint-<step>-<pid>)
// and renamed when complete, so a directory called checkpoint-<step> is always whole; one that
// replaces a checkpoint of the same step renames that aside first (checkpoint-<step>.old-<pid>) and
// deletes it last, so a crash at any moment leaves a complete checkpoint of the step.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/data/batches.hpp"
#include "aha/model/lora.hpp"
#include "aha/model/weights.hpp"
#include "aha/train/adamw.hpp"

namespace aha::train {

// Sums over the finite steps since the last logged metrics line: the loss the line reports is
// their mean, as the Hugging Face Trainer averages over logging_steps.
struct LogWindow {
  double loss_sum = 0.0;
  int64_t steps = 0;
  int64_t tokens = 0;  // input tokens
};

// The loop's position and history: trainer_state.json (HF's fields) and data_state.json.
struct TrainerState {
  int64_t global_step = 0;
  double epoch = 0.0;  // fractional epochs done
  int64_t max_steps = 0;
  // The run's settings as HF's TrainerState records them (written, not needed to resume).
  int64_t num_train_epochs = 0;  // whole epochs the run spans, as HF computes it
  int64_t logging_steps = 0, eval_steps = 0, save_steps = 0, train_batch_size = 0;
  Json log_history = Json::array();   // every logged metrics line, as HF's log_history
  data::DataCursor cursor;            // the next micro-batch
  int64_t num_sequences = 0;          // training sequences the cursor counts over
  int64_t bad_steps_in_a_row = 0;     // consecutive steps skipped for a NaN/Inf loss or norm
  LogWindow since_log;                // sums since the last logged step
  Json rollout;                       // GRPO: the rollout between its num_iterations updates (null: none)
  int64_t num_input_tokens_seen = 0;  // input tokens of every step so far (HF's name)
  double train_seconds = 0.0;         // training wall time so far, over resumed attempts
  std::string started_at;             // UTC time the first attempt started ("": not recorded)
};

// What a model directory is made of: config.json's text, the weights, tokenizer files to copy;
// or, when training LoRA adapters, the adapters and the base model they apply to.
struct ModelFiles {
  std::string config_json;
  const model::Weights* weights = nullptr;
  std::vector<std::string> tokenizer_files;   // paths copied as they are; a .gguf writes the tokenizer it holds
  const model::Lora* lora = nullptr;          // set: write an adapter directory
  std::string base_model;                     // the adapter's base_model_name_or_path
  std::string prompt_template;                // set: written as prompt_template.json (GRPO)
  const model::Weights* ref_model = nullptr;  // set: a checkpoint also holds it in ref_model/ (GRPO's
                                              // sync_ref_model), a model directory of config_json
};

// Writes config.json and model.safetensors (HF names, F32, the weights' SHA-256 in its metadata),
// or with `lora` adapter_config.json and adapter_model.safetensors (PEFT's layout), the tokenizer
// files and the prompt template's prompt_template.json into `dir`, each file atomically.
void write_model_files(const std::string& dir, const ModelFiles& files);

// Writes output_dir/checkpoint-<global_step>/ atomically (temp name, fsync, replace_directory),
// with model.ref_model in its ref_model/ directory.
void save_checkpoint(const std::string& output_dir, const ModelFiles& model, AdamW& optimizer,
                     const std::vector<std::string>& parameter_names, const TrainerState& state, uint64_t seed);

// Moves the complete directory `complete` to `target`; an existing `target` is renamed aside
// (<target>.old-<pid>) first and deleted once `complete` is in place.
void replace_directory(const std::string& complete, const std::string& target);

// The state saved in checkpoint `dir`: trainer_state.json and data_state.json.
TrainerState read_trainer_state(const std::string& dir);

// Restores the optimizer moments and step count saved in checkpoint `dir`.
void read_optimizer(const std::string& dir, AdamW& optimizer, const std::vector<std::string>& parameter_names);

// The complete checkpoint of output_dir with the highest step, if any.
std::optional<std::string> newest_checkpoint(const std::string& output_dir);

// Deletes the oldest checkpoints so that at most `limit` remain (limit 0: keep all).
void prune_checkpoints(const std::string& output_dir, int64_t limit);

// True for an entry name of output_dir that is a checkpoint: checkpoint-<step>, or one renamed
// aside for its replacement (checkpoint-<step>.old-<pid>).
bool is_checkpoint_entry(const std::string& name);

// True for an entry name of output_dir that is a checkpoint being written (.tmp-checkpoint-...).
bool is_partial_checkpoint_entry(const std::string& name);

// Tidies what a save that was interrupted left in output_dir (the run must hold output_dir's
// lock): a checkpoint renamed aside comes back when its replacement never arrived and is deleted
// when it did; temporary checkpoint directories are deleted. Loading and resuming ignore both.
void recover_checkpoints(const std::string& output_dir);

// Deletes every checkpoint of output_dir, those renamed aside included.
void remove_checkpoints(const std::string& output_dir);

enum class ResumeMode { none, newest, path };

// The checkpoint a run in output_dir resumes from, or "" to start from scratch: `resume_path`
// (ResumeMode::path), the newest complete checkpoint (newest; none: `notice` says so), or none
// (an error when output_dir already holds a checkpoint). recover_checkpoints ran before.
std::string resume_directory(const std::string& output_dir, ResumeMode mode, const std::string& resume_path,
                             const std::function<void(const std::string&)>& notice);

}  // namespace aha::train
