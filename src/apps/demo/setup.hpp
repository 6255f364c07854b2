// What both demos build before training: a byte-level BPE tokenizer learned on the run's texts,
// with a tokenizer_config.json (EOS, and a plain chat template), and a tiny Llama's config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aha::demo {

// The built-in task both demos train and measure on.
inline constexpr const char* kDemoTask = "counting";

// The model's sizes.
struct ModelShape {
  int64_t vocab_size = 0;  // asked of the tokenizer: 256 bytes + merges + <|endoftext|>
  int64_t hidden_size = 0, intermediate_size = 0, num_layers = 0, num_heads = 0, num_kv_heads = 0;
  int64_t max_positions = 256;
};

struct TokenizerIds {
  int64_t eos = 0, vocab_size = 0;  // the BPE stops early when the texts have no more pairs to merge
};

// dir/tokenizer_config.json with EOS <|endoftext|> and a chat template ("User: …\nAssistant:"),
// so that prompts can be rendered before the tokenizer is learned on them.
void write_tokenizer_config(const std::string& dir);

// dir/tokenizer.json: a BPE learned on `texts`, its last id <|endoftext|>.
TokenizerIds train_tokenizer(const std::string& dir, int64_t vocab_size, const std::vector<std::string>& texts);

// A tiny Llama's config.json at `path` whose vocabulary and EOS are the tokenizer's.
std::string write_model_config(const std::string& path, const ModelShape& shape, const TokenizerIds& ids);

}  // namespace aha::demo
