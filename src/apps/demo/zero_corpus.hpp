// The base corpus of `aha demo --zero`: text a base model is pretrained on before GRPO, as web
// text is for DeepSeek-R1-Zero. The counting task's training problems appear with their answers
// in prose, never worked in <think>/<answer> form; arithmetic appears as plain equations; the
// <think>/<answer> tags appear in a small share of documents, around text that has nothing to do
// with the task (as web pages hold a few such tags). So the base model can emit the format by
// chance, but was never taught to use it for the task.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/base/random.hpp"
#include "aha/tasks/task.hpp"

namespace aha::demo {

struct CorpusPlan {
  int64_t documents = 0;
  double problem_share = 0.45;   // a training problem and its answer in a sentence
  double equation_share = 0.25;  // chains of "a + b = c" with no story
  double tag_share = 0.01;       // unrelated text with <think>/<answer> tags (at most this share)
  // the rest: short unrelated stories about the task's names and things
};

struct Corpus {
  std::vector<std::string> documents;
  int64_t problems = 0, equations = 0, tagged = 0, stories = 0;
};

// `plan.documents` documents in random order, the problems drawn from `train_items` (counting
// items) in turn; deterministic in `rng`.
Corpus base_corpus(const CorpusPlan& plan, const std::vector<tasks::PromptItem>& train_items, RandomStream& rng);

}  // namespace aha::demo
