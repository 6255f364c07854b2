// A model directory's tokenizer as GGUF metadata (tokenizer.ggml.*), as llama.cpp's
// convert_hf_to_gguf.py writes a byte-level BPE vocabulary: tokens padded to the model's
// vocab_size, token types, merges, the pre-tokenizer's name, special token ids, add_bos_token
// and the chat template.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/io/gguf/writer.hpp"

namespace aha::io::gguf {

// The vocabulary read from a tokenizer.json and its tokenizer_config.json.
struct GgufVocab {
  std::vector<std::string> tokens;  // id -> token text ("[PAD<id>]" where the tokenizer has none)
  std::vector<int32_t> types;       // 1 normal, 3 control (special), 4 user-defined, 5 unused
  std::vector<std::string> merges;  // "a b", a space inside a part written as U+0120's neighbour U+0160
  std::string pre;                  // llama.cpp's pre-tokenizer name: "qwen2", "llama-bpe", "gpt-2", "default"
  int64_t bos = -1, eos = -1, pad = -1, unk = -1;
  bool add_bos = false, add_eos = false;
  std::string chat_template;  // "" when the directory has none
};

// Reads the vocabulary of model directory `dir` (tokenizer.json, tokenizer_config.json,
// chat_template.jinja, config.json's special ids) for a model of `vocab_size` rows. Errors name
// the file: no tokenizer.json, a tokenizer other than byte-level BPE, an id past vocab_size.
GgufVocab read_gguf_vocab(const std::string& dir, int64_t vocab_size);

// Sets the tokenizer.ggml.* keys (and tokenizer.chat_template when there is one) of `vocab`.
void set_vocab_metadata(Writer& writer, const GgufVocab& vocab);

}  // namespace aha::io::gguf
