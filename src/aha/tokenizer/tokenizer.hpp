// A tokenizer loaded from a Hugging Face tokenizer.json: added tokens, normalizer, pre-tokenizer,
// BPE model, post-processor and decoder, run in that order as Hugging Face tokenizers runs them.
// Encoding and decoding are const and may run on several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aha/base/json.hpp"
#include "aha/tokenizer/added_tokens.hpp"
#include "aha/tokenizer/bpe.hpp"
#include "aha/tokenizer/decoders.hpp"
#include "aha/tokenizer/normalizers.hpp"
#include "aha/tokenizer/post_processors.hpp"
#include "aha/tokenizer/pre_tokenizers.hpp"

namespace aha::tokenizer {

class Tokenizer {
 public:
  // Loads `path`: a tokenizer.json file, or a (model) directory that holds one.
  static Tokenizer load(const std::string& path);
  // Builds a tokenizer from the text of a tokenizer.json; `origin` names it in errors.
  static Tokenizer from_json_text(const std::string& text, const std::string& origin);
  // Builds a tokenizer from a parsed tokenizer.json; `origin` names it in errors.
  static Tokenizer from_json(const Json& json, const std::string& origin);

  // The ids of `text`. Invalid UTF-8 is first repaired (each bad sequence becomes U+FFFD, as a
  // browser or Node decodes it); `add_special` lets the post-processor add BOS/EOS-style tokens.
  std::vector<int32_t> encode(std::string_view text, bool add_special = false) const;
  // The text of `ids` (valid UTF-8); `skip_special` leaves out special tokens. Fails for an id
  // that is in neither the vocabulary nor the added tokens.
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;
  // The bytes `decode` repairs into text: they may end inside a character (see StreamDecoder).
  std::string decode_bytes(std::span<const int32_t> ids, bool skip_special = false) const;
  // `text` as encode sees it after normalization (added tokens kept as they are).
  std::string normalize(std::string_view text) const;

  // The id of token `token` (an added token or a vocabulary entry).
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // The token string of `id`, or nullptr when there is none.
  const std::string* id_to_token(int32_t id) const;
  // One more than the largest id.
  int32_t vocab_size() const;
  // True when `id` is an added token marked special.
  bool is_special(int32_t id) const;
  // The added tokens.
  const AddedTokens& added_tokens() const { return added_; }

 private:
  explicit Tokenizer(Bpe model) : model_(std::move(model)) {}
  void encode_segment(std::string_view text, bool at_start, std::vector<int32_t>& ids) const;

  Bpe model_;
  AddedTokens added_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
};

}  // namespace aha::tokenizer
