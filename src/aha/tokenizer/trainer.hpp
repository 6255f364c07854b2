// Training a byte-level BPE from scratch, as Hugging Face's BpeTrainer does for GPT-2-style
// tokenizers: count the pre-tokenized words of the data, then repeatedly merge the most frequent
// adjacent pair (ties: the pair of smaller ids) until the vocabulary has the requested size.
// The result is a tokenizer.json that Hugging Face tokenizers (and transformers.js) load as is.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aha::tokenizer {

struct TrainOptions {
  int32_t vocab_size = 8192;  // all ids: 256 bytes + merges + special tokens
  std::vector<std::string> special_tokens = {"<|endoftext|>"};
};

// What a training run produced.
struct TrainResult {
  std::string json;  // the tokenizer.json text
  int32_t merges = 0, vocab_size = 0;
  int64_t words = 0, distinct_words = 0;
};

class BpeTrainer {
 public:
  // Checks the options (vocab_size must leave room for the 256 bytes and the special tokens).
  explicit BpeTrainer(TrainOptions options);
  BpeTrainer(BpeTrainer&&) noexcept;
  ~BpeTrainer();

  // Counts the words of one document (normalized and pre-tokenized as the result will encode it).
  void add_text(std::string_view text);
  // Learns the merges and returns the tokenizer; the trainer is spent afterwards.
  TrainResult finish();

 private:
  struct State;
  TrainOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace aha::tokenizer
