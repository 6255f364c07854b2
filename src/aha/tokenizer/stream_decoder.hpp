// Streaming detokenization: a generator hands over one id at a time and gets back the text that
// is now final, never half of a UTF-8 character. The concatenation of everything step() and
// finish() return equals Tokenizer::decode of all the ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aha/tokenizer/tokenizer.hpp"

namespace aha::tokenizer {

class StreamDecoder {
 public:
  // Decodes with `tokenizer`, which must outlive this object.
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);

  // Adds one id; returns the new text that is complete (often empty while a character is split
  // across tokens).
  std::string step(int32_t id);
  // Returns the text still held back (an unfinished character becomes U+FFFD) and starts over.
  std::string finish();

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  // The ids decoded together: the first `context_` of them were already emitted and are kept so
  // that decoders which treat the first token specially (Metaspace, Strip) see the same start.
  std::vector<int32_t> ids_;
  size_t context_ = 0;
  std::string prefix_;  // decode_bytes of ids_ when text was last emitted
};

}  // namespace aha::tokenizer
