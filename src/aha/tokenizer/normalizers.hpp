// Normalizers of tokenizer.json ("normalizer"): NFC, NFD, NFKC, NFKD, Lowercase, Strip,
// StripAccents, Replace, Prepend and Sequence. A normalizer rewrites the text of one segment
// (the text between added tokens) before pre-tokenization.
#pragma once

#include <memory>
#include <string>

#include "aha/tokenizer/json_at.hpp"

namespace aha::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Rewrites valid UTF-8 `text` in place.
  virtual void normalize(std::string& text) const = 0;
};

// The normalizer a tokenizer.json "normalizer" object describes (nullptr for JSON null);
// an unknown or malformed one fails naming the field.
std::unique_ptr<Normalizer> make_normalizer(const JsonAt& config);

}  // namespace aha::tokenizer
