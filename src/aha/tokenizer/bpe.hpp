// The BPE model of tokenizer.json ("model": {"type": "BPE", ...}): vocabulary, ranked merges,
// unk token, byte fallback, continuing-subword prefix, end-of-word suffix and ignore_merges.
// Encoding one piece applies the lowest-ranked merge first (leftmost on ties), as Hugging Face
// tokenizers and the JavaScript reference do; results are cached per piece.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aha/tokenizer/json_at.hpp"
#include "aha/tokenizer/token_map.hpp"

namespace aha::tokenizer {

class Bpe {
 public:
  // Reads a "model" object of type BPE; a malformed one fails naming the field.
  static Bpe from_json(const JsonAt& model);
  Bpe(Bpe&&) noexcept;
  Bpe& operator=(Bpe&&) noexcept;
  ~Bpe();

  // Appends the ids of one piece to `out`. With `raw_bytes` the piece holds raw bytes that stand
  // for byte-level alphabet characters; otherwise it holds the characters themselves.
  void encode(std::string_view piece, bool raw_bytes, std::vector<int32_t>& out) const;

  // The id of `token`, if the vocabulary has it.
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // The token with id `id`, or nullptr when the vocabulary has no such id.
  const std::string* id_to_token(int32_t id) const;
  // One more than the largest id in the vocabulary.
  int32_t vocab_end() const { return static_cast<int32_t>(tokens_.size()); }
  // The vocabulary, token to id.
  const TokenMap& vocab() const { return vocab_; }

 private:
  struct Merges;
  struct Cache;
  Bpe();
  void encode_uncached(std::string_view piece, bool raw_bytes, std::vector<int32_t>& out) const;
  void add_symbol_for(std::string_view ch, bool first, bool last, std::vector<int32_t>& symbols) const;

  TokenMap vocab_;
  std::vector<std::string> tokens_;  // id -> token ("" for an id the vocabulary lacks)
  std::vector<bool> has_id_;
  std::unique_ptr<Merges> merges_;
  std::unique_ptr<Cache> cache_;
  int32_t byte_ids_[256];      // id of the byte-level character for each byte, or -1
  int32_t fallback_ids_[256];  // id of "<0xXX>" for each byte, or -1
  std::optional<int32_t> unk_;
  bool byte_fallback_ = false, fuse_unk_ = false, ignore_merges_ = false;
  std::string prefix_, suffix_;  // continuing_subword_prefix, end_of_word_suffix
};

}  // namespace aha::tokenizer
