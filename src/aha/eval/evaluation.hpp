// An evaluation run: sample `samples` completions of every prompt, score each with a reward,
// and summarise pass@k, maj@k and completion length (DeepSeek-R1's protocol: temperature 0.6,
// top-p 0.95, pass@1 as the mean over samples).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/base/progress.hpp"
#include "aha/data/prompt_fit.hpp"
#include "aha/data/prompts.hpp"
#include "aha/generate/sampler.hpp"
#include "aha/ledger/dataset.hpp"
#include "aha/model/compute_dtype.hpp"

namespace aha::eval {

struct EvalOptions {
  std::string model_dir;
  std::string name;    // the dataset file's stem or the task's name
  std::string origin;  // how errors name the items' source: the file's path, or "--task NAME"
  std::vector<data::PromptItem> items;
  ledger::DatasetRecord dataset;  // what the items were read from
  std::string reward = "accuracy";
  Json reward_options = Json::object();
  // One of data::prompt_template_names(); "": data::resolve_prompt_template's default.
  std::string prompt_template;
  int64_t ctx_size = 0;           // positions per sequence; 0: the model's, at most 4096
  int64_t max_prompt_length = 0;  // 0: no limit but the context
  // A prompt longer than max_prompt_length, or one that leaves no room in ctx_size: keep its last
  // tokens (left), leave the item out (skip) or stop (error).
  data::PromptTruncation prompt_truncation = data::PromptTruncation::left;
  int64_t samples = 1;            // completions per item
  std::vector<int64_t> ks = {1};  // pass@k and maj@k for each k <= samples
  generate::SamplingParams sampling = {.temperature = 0.6f, .top_p = 0.95f};
  int64_t max_tokens = 256;
  double pass_threshold = 1.0;  // a sample passes when its reward is at least this
  // The matrices' compute dtype.
  model::DTypeChoice dtype = model::DTypeChoice::automatic;
  // Completions generated of this process's share (under mpirun, its items' samples): once with
  // 0 before generating, then as each completion finishes (may be empty).
  ProgressCallback progress = {};
};

struct EvalResult {
  std::vector<Json> items;  // one per item: prompt, answer, completions, rewards, passed, ...
  Json summary;             // metrics, settings, model and dataset fingerprints
};

// Runs the evaluation; bad options are bad-input Errors naming the option, and a prompt that does
// not fit (with prompt_truncation error) one naming the item.
EvalResult run_evaluation(const EvalOptions& options);

// The summary of per-item pass counts: {"pass@k": ..., "maj@k": ...} for each k, given each
// item's vote keys (the reward's vote_key of each completion) and pass flags (all items have the
// same number of samples).
Json summarize(const std::vector<std::vector<std::string>>& answers, const std::vector<std::vector<bool>>& passed,
               const std::vector<int64_t>& ks);

// Writes items.jsonl, summary.json and summary.md into `out_dir` (created when missing).
void write_evaluation(const std::string& out_dir, const EvalResult& result);

}  // namespace aha::eval
