#include "aha/data/text_dataset.hpp"

#include "aha/base/error.hpp"
#include "aha/data/jsonl.hpp"
#include "aha/tasks/arithmetic_text.hpp"
#include "aha/tasks/task.hpp"

namespace aha::data {

std::vector<std::string> read_texts(const TextSource& source, int64_t& skipped_lines) {
  skipped_lines = 0;
  if (!source.task.empty()) {
    const std::string task = tasks::current_task_name(source.task, tasks::TaskKind::text, nullptr);
    if (task != "equations")
      fail(
          "dataset_task: unknown text task '{}' (built-in: equations; prompt tasks such as word_problems are for "
          "`aha sft`, grpo, distill and eval)",
          source.task);
    return tasks::arithmetic_texts(source.seed, source.num_examples);
  }
  JsonlFile file = read_jsonl(source.path, bad_lines_policy(source.skip_bad_lines));
  skipped_lines = file.skipped_lines;
  std::vector<std::string> texts;
  for (const JsonlRecord& r : file.records) {
    auto it = r.value.find("text");
    if (source.skip_bad_lines && (it == r.value.end() || !it->is_string())) {
      ++skipped_lines;
      continue;
    }
    texts.push_back(string_field(r, source.path, "text"));
  }
  if (texts.empty()) fail("{}: the dataset is empty: no {{\"text\": ...}} lines", source.path);
  return texts;
}

SequenceSet pack_texts(const std::vector<std::string>& texts, const tokenizer::Tokenizer& tok, int32_t eos,
                       int64_t max_length) {
  std::vector<Sequence> documents;
  documents.reserve(texts.size());
  for (const std::string& text : texts) {
    Sequence s;
    s.tokens = tok.encode(text, false);
    s.tokens.push_back(eos);
    s.labels.assign(s.tokens.size(), 1);
    documents.push_back(std::move(s));
  }
  SequenceSet set;
  set.sequences = pack_sequences(documents, max_length);
  if (set.sequences.empty()) fail("the dataset has fewer than 2 tokens: nothing to train on");
  return set;
}

}  // namespace aha::data
