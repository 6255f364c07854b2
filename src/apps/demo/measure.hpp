// How the demo measures a model on held-out items: greedy decoding once, and `samples` draws at
// the sampling temperature, each scored by the strict `accuracy` verifier and, for comparison,
// by `accuracy_lenient` (the same completions, scored again).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/tasks/task.hpp"
#include "apps/demo/setup.hpp"

namespace aha::demo {

// One verifier's view of a model: greedy pass@1; at the sampling temperature pass@1 (the mean over
// samples), maj@n (the majority of the n samples' parsed answers is right) and pass@n.
struct Scores {
  double greedy_pass1 = 0, pass1 = 0, maj = 0, pass = 0;
};

struct Measurement {
  Scores strict, lenient;
  double mean_tokens = 0;  // completion tokens of the sampled completions
  StageCost train;         // the training stage that produced the model
};

struct MeasureSettings {
  std::string task;             // what the items are, for the evaluation's records
  std::string prompt_template;  // "chat" or "r1_zero"
  int64_t samples = 8;          // the n of maj@n and pass@n
  double temperature = 1.0, top_p = 1.0;
  int64_t max_tokens = 0;
  uint64_t seed = 0;       // the items' generator seed, and the sampling seed
  ProgressStyle progress;  // how each evaluation shows its progress (empty: not at all)
};

// Measures the model in `model_dir`, which training at `cost` produced, on `items`, its progress labelled by
// out_dir's last name; writes the two evaluations (items.jsonl with
// every completion and its strict reward, summary.json) to out_dir/greedy and out_dir/sampled.
Measurement measure(const MeasureSettings& settings, const std::string& model_dir,
                    const std::vector<tasks::PromptItem>& items, const std::string& out_dir, const StageCost& cost);

// {"model": name, "strict": {...}, "lenient": {...}, "mean_completion_tokens", "train_seconds",
// "train_steps", "train_tokens"}, the Scores as greedy_pass1, pass1, maj<n>, pass<n>.
Json measurement_json(const std::string& name, const Measurement& m, int64_t samples);

}  // namespace aha::demo
