// `aha demo --zero`: DeepSeek-R1-Zero's recipe at toy scale — GRPO straight on a base model, with
// no SFT on worked solutions. A tiny Llama is pretrained from scratch on a base corpus
// (zero_corpus.hpp: the task's problems with their answers in prose, plain equations, unrelated
// stories, and the <think>/<answer> tags in at most 1% of documents, around sums in words); GRPO
// then trains it with the strict format and accuracy rewards under the R1-Zero prompt. Both models
// are measured with both verifiers, and the curves over GRPO's steps are kept.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "aha/base/json.hpp"
#include "apps/demo/measure.hpp"
#include "apps/demo/setup.hpp"
#include "apps/demo/zero_corpus.hpp"

namespace aha::demo {

struct ZeroPlan {
  ModelShape model;
  CorpusPlan corpus;
  int64_t pretrain_steps = 0, pretrain_batch = 0, pretrain_length = 0;
  double pretrain_learning_rate = 0;
  int64_t test_items = 0, samples = 8;
  double temperature = 1.0, top_p = 1.0;
  int64_t max_completion_tokens = 0;
  int64_t grpo_prompts = 0, grpo_steps = 0, grpo_prompts_per_step = 0;
  double grpo_learning_rate = 0;
  uint64_t seed = 42;
};

// The plan `aha demo --zero` runs, or with `quick` a small one that finishes in seconds.
ZeroPlan zero_plan(bool quick);

struct ZeroResult {
  Measurement base, grpo;
  Corpus corpus;  // the documents' counts by kind (documents themselves in data/corpus.jsonl)
  double wall_seconds = 0;
  std::string model_dir;  // the GRPO model, absolute
  Json curves;            // per GRPO step: format reward, accuracy reward, completion length
  Json summary;           // what summary.json holds
};

struct ZeroOptions {
  std::string out_dir;
  ZeroPlan plan;
  std::function<void(const std::string&)> notice;  // one line when each stage starts (may be empty)
  ProgressStyle progress;                          // each stage's progress (may be empty)
};

// Runs the experiment into out_dir (data/, tokenizer/, base/, grpo/, eval/) and writes
// out_dir/summary.json. An out_dir that exists and is not an empty directory is bad input.
ZeroResult run_zero_demo(const ZeroOptions& options);

// The table printed at the end (both verifiers) and the curves at about ten steps.
std::string format_zero_report(const ZeroResult& result, int64_t samples);

}  // namespace aha::demo
