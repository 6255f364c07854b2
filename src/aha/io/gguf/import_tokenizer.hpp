// A GGUF file's tokenizer (`tokenizer.ggml.*`) as the Hugging Face tokenizer.json that
// describes the same tokenizer: "gpt2" (byte-level BPE with merges) and "llama" (SentencePiece BPE
// with scores, its merges ranked by score as transformers' converter ranks them); and its chat
// template (`tokenizer.chat_template`) with the special tokens the template may name.
#pragma once

#include <optional>
#include <string>

#include "aha/base/json.hpp"
#include "aha/io/gguf/reader.hpp"

namespace aha::io::gguf {

// The tokenizer.json of `file`, or nullopt when it has no `tokenizer.ggml.model`.
std::optional<Json> tokenizer_json(const GgufFile& file);

// `tokenizer.chat_template`, or nullopt when absent.
std::optional<std::string> chat_template(const GgufFile& file);

// {"bos_token": text, "eos_token": text, ...} for the special ids the file names.
nlohmann::ordered_json special_tokens(const GgufFile& file);

// The tokenizer files of an HF model directory that hold `file`'s tokenizer, as (name, text):
// tokenizer.json, and tokenizer_config.json with the special tokens and chat template. None without a tokenizer.
std::vector<std::pair<std::string, std::string>> tokenizer_files(const GgufFile& file);

}  // namespace aha::io::gguf
