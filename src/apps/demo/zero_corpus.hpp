// The base corpus of `aha demo --zero`: text a base model is pretrained on before GRPO, as web
// text is for DeepSeek-R1-Zero. The counting task's training problems appear with their answers
// in prose (most with their steps as plain equations), never worked in <think>/<answer> form;
// arithmetic appears as plain equations; the <think>/<answer> tags appear in at most 1% of
// documents: conversations under R1-Zero's instruction that answer a sum asked in words ("Start
// with 7, add 3 and take away 4. What do you get?") with its chain in the tags, never a word
// problem. So the base model can emit the format by chance, but was never taught to use it for the
// task (docs/demo.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/base/random.hpp"
#include "aha/tasks/task.hpp"

namespace aha::demo {

struct CorpusPlan {
  int64_t documents = 0;
  double problem_share = 0.6;                // a training problem and its answer in prose
  double worked_share = 0.8;                 // of the problems: the steps as plain equations before the answer
  double problem_conversation_share = 0.03;  // of the problems: asked in a "User: ... Assistant: ..." conversation
  double preamble_share = 0.3;               // of the conversations: a chat preamble first, which names no tags
  double conversation_share = 0.05;          // questions about stories or bare sums in plain conversations
  double equation_share = 0.15;              // chains of "a + b = c" with no story
  double tag_share = 0.01;                   // sums in words answered in <think>/<answer> tags (at most this share)
  // the rest: short unrelated stories about the task's names and things
};

struct Corpus {
  std::vector<std::string> documents;
  int64_t problems = 0, equations = 0, tagged = 0, stories = 0, conversations = 0;
};

// `plan.documents` documents in random order, the problems drawn from `train_items` (counting
// items) in turn; deterministic in `rng`.
Corpus base_corpus(const CorpusPlan& plan, const std::vector<tasks::PromptItem>& train_items, RandomStream& rng);

}  // namespace aha::demo
