// The pretraining / SFT trainer: batches, gradient accumulation, the mean token loss, evaluation;
// the shared run loop (run_loop.hpp) does the rest, as the Hugging Face Trainer runs it.
#pragma once

#include "aha/train/config.hpp"
#include "aha/train/run_loop.hpp"

namespace aha::train {

// Runs (or resumes) the training `config` describes; writes output_dir/config.yaml,
// metrics.jsonl, checkpoint-<step>/ directories and the final model at the top of output_dir.
RunSummary run_training(const TrainConfig& config, const RunOptions& options);

}  // namespace aha::train
