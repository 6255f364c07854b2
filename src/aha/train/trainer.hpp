// The pretraining / SFT loop: batches, gradient accumulation, schedule, AdamW, metrics,
// evaluation, checkpoints and resuming, as the Hugging Face Trainer runs them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "aha/train/checkpoint.hpp"
#include "aha/train/config.hpp"

namespace aha::train {

// Where a run stands, for a progress line.
struct Progress {
  int64_t step = 0, max_steps = 0;
  double loss = 0.0;          // the step's mean token loss
  double elapsed_seconds = 0;  // since this process started training
};

struct RunOptions {
  ResumeMode resume = ResumeMode::none;
  std::string resume_path;                                   // with ResumeMode::path
  std::function<void(const std::string&)> notice;            // one-line messages for the user
  std::function<void(const Progress&)> progress;             // after every step (may be empty)
  double max_seconds = 0;  // > 0: stop after the first step that ends this many seconds into training
};

struct RunSummary {
  int64_t global_step = 0;
  bool already_complete = false;  // a resumed run that had nothing left to do
};

// Runs (or resumes) the training `config` describes; writes output_dir/config.yaml,
// metrics.jsonl, checkpoint-<step>/ directories and the final model at the top of output_dir.
RunSummary run_training(const TrainConfig& config, const RunOptions& options);

}  // namespace aha::train
