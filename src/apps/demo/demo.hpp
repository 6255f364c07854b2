// `aha demo`: an R1-Zero-style experiment end to end on built-in data, with no download —
// generate the counting word-problem task, train a tokenizer and a tiny model from scratch
// (a warm-up SFT on a noisy teacher's worked solutions in <think>/<answer> form), measure held-out pass@1 and
// pass@8, run GRPO with the accuracy and format rewards, measure again with the same sampling
// settings, and, as a control, continue SFT from the same start for as long as GRPO ran.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "aha/base/json.hpp"

namespace aha::demo {

// The sizes of one demo: --quick's for the test suite, or the full one.
struct DemoPlan {
  int64_t vocab_size = 0;  // tokenizer: 256 bytes + merges + <|endoftext|>
  int64_t hidden_size = 0, intermediate_size = 0, num_layers = 0, num_heads = 0, num_kv_heads = 0;
  int64_t sft_examples = 0, sft_steps = 0, sft_batch = 0;
  double teacher_error_rate = 0.5;  // how often the warm-up's teacher is wrong (see tasks/counting_teacher.hpp)
  double sft_learning_rate = 0;
  int64_t test_items = 0, samples = 8;    // held-out items, completions per item (pass@1 and pass@8)
  double temperature = 1.0, top_p = 1.0;  // the same sampling for every evaluation
  int64_t max_completion_tokens = 0;
  int64_t grpo_prompts = 0, grpo_steps = 0, grpo_prompts_per_step = 0;
  double grpo_learning_rate = 0, control_learning_rate = 0;
  uint64_t seed = 42;
};

// The plan `aha demo` runs, or with `quick` a small one that finishes in seconds.
DemoPlan demo_plan(bool quick);

// One model's held-out measurement.
struct Measurement {
  double pass1 = 0, pass8 = 0, mean_length = 0;  // mean completion tokens
  double stage_seconds = 0;                      // the training stage that produced the model
};

struct DemoResult {
  Measurement before, after, control;
  double wall_seconds = 0;      // every stage but the control
  double teacher_accuracy = 0;  // the fraction of warm-up completions with the right answer
  std::string model_dir;        // the GRPO model, absolute
  Json summary;                 // what summary.json holds
};

struct DemoOptions {
  std::string out_dir;
  DemoPlan plan;
  std::function<void(const std::string&)> notice;  // one line when each stage starts (may be empty)
};

// Runs the demo into out_dir (data/, tokenizer/, sft/, grpo/, sft_control/, eval/) and writes
// out_dir/summary.json. An out_dir that exists and is not an empty directory is bad input.
DemoResult run_demo(const DemoOptions& options);

// The before/after table printed at the end: pass@1, pass@8, mean completion length, wall time.
std::string format_table(const DemoResult& result);

}  // namespace aha::demo
