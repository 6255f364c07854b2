// Pretraining data: {"text": ...} JSONL lines or a built-in task, tokenized with EOS appended and
// packed into blocks of max_length tokens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/data/sequences.hpp"
#include "aha/tokenizer/tokenizer.hpp"

namespace aha::data {

struct TextSource {
  std::string path;          // a JSONL file of {"text": ...}, or
  std::string task;          // a built-in text task ("equations")
  uint64_t seed = 0;         // the task's seed
  int64_t num_examples = 0;  // how many texts the task generates
  bool skip_bad_lines = false;
};

// The texts of `source` and how many bad lines were skipped; an empty source is an Error.
std::vector<std::string> read_texts(const TextSource& source, int64_t& skipped_lines);

// `texts` tokenized (each followed by `eos`), every token labelled, packed into max_length blocks.
SequenceSet pack_texts(const std::vector<std::string>& texts, const tokenizer::Tokenizer& tok, int32_t eos,
                       int64_t max_length);

}  // namespace aha::data
