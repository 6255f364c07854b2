// Decoders of tokenizer.json ("decoder"): ByteLevel, ByteFallback, Metaspace, Fuse, Strip,
// Replace, BPEDecoder and Sequence. A decoder turns token strings back into text. aha's decoders
// pass raw bytes along (a token may hold part of a UTF-8 character); the tokenizer repairs the
// joined result once at the end, which is what makes streaming decoding exact.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aha/tokenizer/json_at.hpp"

namespace aha::tokenizer {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the token strings (possibly into fewer strings); their concatenation is the text.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// The decoder a tokenizer.json "decoder" object describes (nullptr for JSON null).
std::unique_ptr<Decoder> make_decoder(const JsonAt& config);

}  // namespace aha::tokenizer
