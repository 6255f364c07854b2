// SFT data, as TRL's SFTTrainer reads it: {"prompt", "completion"} (plain strings, or message
// lists rendered with the chat template) and {"messages"} conversations.
#pragma once

#include <cstdint>
#include <string>

#include "aha/data/prompts.hpp"
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

// The completion SFT teaches for an item with a worked solution, in R1's format:
// " <think>\n{reasoning}\n</think>\n<answer>{solution}</answer>" (EOS is appended when tokenized);
// after an r1_zero_think prompt, which opened the think block, it starts at "\n{reasoning}".
std::string worked_solution(const PromptItem& item, PromptTemplate format);

// True when the JSONL file at `path` is in GSM8K's format (its first record has "question").
bool is_gsm8k_file(const std::string& path);

// Prompt-completion sequences from items with worked solutions (a built-in task's, or GSM8K's):
// the prompt as `format` renders it (chat needs tok.chat_template), the completion
// worked_solution(item, format) and EOS. An item without reasoning or solution is an Error naming
// `origin` and the item's index.
SequenceSet worked_solution_sequences(const std::vector<PromptItem>& items, PromptTemplate format,
                                      const SftTokenizing& tok, const SftOptions& options, const std::string& origin);

}  // namespace aha::data
