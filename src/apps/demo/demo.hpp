// `aha demo`: DeepSeek-R1's recipe (SFT warm-up, then GRPO) end to end on built-in data, with
// no download, and the controls RL must beat. It generates the counting word-problem task, trains
// a tokenizer and a tiny model from scratch by SFT on a teacher's worked solutions in
// <think>/<answer> form (a teacher with a systematic mistake), runs GRPO with the accuracy and
// format rewards, and measures the start, the GRPO model and two controls given GRPO's wall time:
// rejection sampling (R1's own stage: the start's verified samples, then SFT on them) and more SFT
// on the teacher's data.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "aha/base/json.hpp"
#include "apps/demo/measure.hpp"
#include "apps/demo/setup.hpp"

namespace aha::demo {

// The sizes of one demo: --quick's for the test suite, or the full one.
struct DemoPlan {
  ModelShape model;
  int64_t sft_examples = 0, sft_steps = 0, sft_batch = 0;
  double teacher_misread_rate = 0.6;  // see tasks/counting_teacher.hpp
  double sft_learning_rate = 0;
  int64_t test_items = 0, samples = 8;    // held-out items, completions per item (maj@n, pass@n)
  double temperature = 1.0, top_p = 1.0;  // the same sampling for every evaluation
  int64_t max_completion_tokens = 0;
  int64_t grpo_prompts = 0, grpo_steps = 0, grpo_prompts_per_step = 0;
  double grpo_learning_rate = 0, control_learning_rate = 0;
  uint64_t seed = 42;
};

// The plan `aha demo` runs, or with `quick` a small one that finishes in seconds.
DemoPlan demo_plan(bool quick);

struct DemoResult {
  Measurement warmup, grpo, rejection_sampling, sft_control;
  double wall_seconds = 0;      // every stage but the controls
  double teacher_accuracy = 0;  // the share of the teacher's solutions with the right answer
  std::string model_dir;        // the GRPO model, absolute
  Json summary;                 // what summary.json holds
};

struct DemoOptions {
  std::string out_dir;
  DemoPlan plan;
  std::function<void(const std::string&)> notice;  // one line when each stage starts (may be empty)
  ProgressStyle progress;                          // each stage's progress (may be empty)
};

// Runs the demo into out_dir (data/, tokenizer/, sft/, grpo/, rs_data/, rs_control/, sft_control/,
// eval/) and writes out_dir/summary.json. An out_dir that exists and is not an empty directory is
// bad input.
DemoResult run_demo(const DemoOptions& options);

// The table printed at the end: one row per model, the strict verifier's metrics, the training
// stage's seconds, steps and tokens.
std::string format_table(const DemoResult& result, int64_t samples);

// Fails (bad input) when `out_dir` exists and is not an empty directory; creates it; returns it
// absolute.
std::string new_run_directory(const std::string& out_dir);

// One table row.
std::string table_row(const std::string& name, const Measurement& m, bool lenient = false);

}  // namespace aha::demo
