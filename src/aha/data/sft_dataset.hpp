// SFT data, as TRL's SFTTrainer reads it: {"prompt", "completion"} (plain strings, or message
// lists rendered with the chat template) and {"messages"} conversations.
#pragma once

#include <cstdint>
#include <string>

#include "aha/data/sequences.hpp"
#include "aha/tokenizer/chat_template.hpp"
#include "aha/tokenizer/tokenizer.hpp"

namespace aha::data {

struct SftOptions {
  int64_t max_length = 1024;
  bool truncation = true;            // cut longer sequences at max_length; false: an Error
  bool completion_only_loss = true;  // prompt-completion: loss on completion tokens only
  bool assistant_only_loss = false;  // messages: loss on the assistant turns' tokens only
  bool skip_bad_lines = false;
};

// What tokenizing needs: the tokenizer, EOS, and the chat template (nullptr when there is none).
struct SftTokenizing {
  const tokenizer::Tokenizer* tokenizer = nullptr;
  const tokenizer::ChatTemplate* chat_template = nullptr;
  int32_t eos = 0;
};

// Reads and tokenizes the JSONL file at `path`; errors name path:line.
SequenceSet read_sft_dataset(const std::string& path, const SftTokenizing& tok, const SftOptions& options);

}  // namespace aha::data
