// The run loop every trainer (pretrain, sft, grpo) shares, as the Hugging Face Trainer runs it:
// the output directory and its config.yaml, resuming from a checkpoint (or finding the run
// already complete), the learning-rate schedule, the guard against NaN/Inf steps, the logging,
// evaluation and save cadence, and the final model with its provenance.json.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/base/progress.hpp"
#include "aha/ledger/provenance.hpp"
#include "aha/model/lora.hpp"
#include "aha/model/weights.hpp"
#include "aha/train/adamw.hpp"
#include "aha/train/checkpoint.hpp"
#include "aha/train/training_arguments.hpp"

namespace aha::train {

// Seconds from `t` to now.
inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A step that is not finite is skipped; this many in a row stop the run.
constexpr int64_t kMaxBadStepsInARow = 3;

// Where a run stands, for a progress line.
struct Progress {
  int64_t step = 0, max_steps = 0;    // max_steps 0: no count to reach (a run bounded by max_seconds)
  double loss = 0.0;                  // the step's loss
  std::optional<double> reward = {};  // GRPO: the step's mean reward
  double elapsed_seconds = 0;         // since this process started training
  int64_t first_step = 0;             // the step this process started from (a resumed run's checkpoint)
};

struct RunOptions {
  ResumeMode resume = ResumeMode::none;
  std::string resume_path;                         // with ResumeMode::path
  std::function<void(const std::string&)> notice;  // one-line messages for the user
  // Once as training starts (step == first_step) and after every finite step (may be empty).
  std::function<void(const Progress&)> progress;
  double max_seconds = 0;  // > 0: stop after the first step that ends this many seconds into training
};

struct RunSummary {
  int64_t global_step = 0;
  bool already_complete = false;  // a resumed run that had nothing left to do
  int64_t tokens = 0;             // input tokens of every step's forward passes, resumed runs' included
};

// One optimizer step as the loop sees it.
struct StepReport {
  bool finite = true;             // false: the update was skipped
  double loss = 0.0;              // the step's loss
  int64_t tokens = 0;             // input tokens of the step's forward passes
  std::optional<double> reward;   // GRPO: the step's mean reward, for progress
  Json metrics = Json::object();  // the step's metrics line, without step and epoch
};

// What a trainer gives the shared loop: its model, data, step and metrics.
class Trainer {
 public:
  virtual ~Trainer() = default;

  // The examples the data cursor counts over, and what they are called in errors.
  virtual int64_t num_examples() const = 0;
  virtual std::string examples_name() const = 0;
  // Sets state.max_steps and the other settings of `state` that depend on the data.
  virtual void plan(TrainerState& state) const = 0;
  // Replaces the weights (or with LoRA the adapters) by those checkpoint `dir` saved.
  virtual void load_model(const std::string& dir) = 0;
  // Creates the optimizer step over the model as it now is (after load_model).
  virtual void create_optimizer() = 0;
  // The model directory the run writes, the optimizer and its tensors' names.
  virtual ModelFiles model_files() const = 0;
  virtual AdamW& optimizer() = 0;
  virtual const std::vector<std::string>& parameter_names() const = 0;
  // The run goes on from state.global_step (a trainer may open logs of its own here).
  virtual void start(TrainerState&) {}
  // One optimizer step at learning rate `lr`; state.global_step counts the steps before it.
  // Advances state.cursor over the data the step used.
  virtual StepReport step(TrainerState& state, double lr) = 0;
  // Fractional epochs done.
  virtual double epoch(const TrainerState& state) const = 0;
  // The metrics line of a finite step that is logged (step and epoch are added).
  virtual Json log_line(const TrainerState&, const StepReport& report, double /*seconds_since_log*/) {
    return report.metrics;
  }
  // After a finite step is counted and logged: `log` writes a further metrics line.
  virtual void after_step(TrainerState&, bool /*last*/, const std::function<void(Json)>& /*log*/) {}
  // Before a checkpoint is written (GRPO keeps its rollout in state.rollout).
  virtual void before_save(TrainerState&) {}
  // Before the final model is written at the top of output_dir (load_best_model_at_end loads the
  // best checkpoint's model here).
  virtual void before_final_model(const TrainerState&) {}
  // provenance.json's record without the run's timing and token count, which the loop fills in.
  virtual ledger::RunRecord provenance() const = 0;
};

// The model directory of a run's inputs (TrainingInputs, GrpoInputs): a full model, or with LoRA
// an adapter directory on the base.
template <typename Inputs>
ModelFiles model_files_of(const Inputs& in) {
  return {in.config_json, &in.weights, in.tokenizer_files, in.lora ? &*in.lora : nullptr, in.base_model, {}};
}

// Replaces `weights` by those checkpoint `dir` saved, or with `lora` the adapters: a LoRA
// checkpoint is an adapter directory whose adapters go on the base already loaded.
void load_checkpoint_model(const std::string& dir, model::Weights& weights, std::optional<model::Lora>& lora);

// A RunOptions::progress that reports through `reporter`, which must outlive the run: the step of
// max_steps, the step's loss and, for GRPO, its mean reward; the rate counts this process's steps.
std::function<void(const Progress&)> report_progress(ProgressReporter& reporter);

// Runs (or resumes) `trainer` under `args` in args.output_dir, which it first claims
// (claim_output_dir: refused when it holds files in the way, locked while the run lasts): writes config.yaml (the text
// `config_yaml`), metrics.jsonl, checkpoint-<step>/ directories, and the final model with its
// provenance.json at the top of output_dir. A resumed run that is already complete writes the
// final model and provenance.json only where they are missing.
RunSummary run_loop(const TrainingArguments& args, const std::string& config_yaml, const RunOptions& options,
                    Trainer& trainer);

}  // namespace aha::train
