// Pre-tokenizers of tokenizer.json ("pre_tokenizer"): Split (every behavior, invert), ByteLevel,
// Digits, Metaspace, Whitespace, WhitespaceSplit and Sequence. A pre-tokenizer cuts a segment
// into pieces (pre-tokens) that the model then encodes one by one.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aha/tokenizer/json_at.hpp"

namespace aha::tokenizer {

// Text cut into pieces, stored back to back.
struct Pieces {
  std::string text;
  std::vector<size_t> ends;  // end offset in `text` of each piece
  // The pieces hold raw bytes that still stand for byte-level alphabet characters: the ByteLevel
  // pre-tokenizer defers that mapping to the model, which maps bytes straight to ids.
  bool raw_bytes = false;
  // Piece 0 starts at the very beginning of the input (Metaspace's prepend_scheme "first").
  bool first_at_start = false;

  // Number of pieces.
  size_t size() const { return ends.size(); }
  // Piece `i`.
  std::string_view operator[](size_t i) const {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(text).substr(begin, ends[i] - begin);
  }
  // Appends `piece` unless it is empty.
  void add(std::string_view piece) {
    if (piece.empty()) return;
    text.append(piece);
    ends.push_back(text.size());
  }
  // Removes every piece.
  void clear() {
    text.clear();
    ends.clear();
  }
  // Applies the deferred byte-level mapping, so that the pieces hold alphabet characters.
  void materialize();
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Cuts (or rewrites) every piece of `pieces`.
  virtual void pre_tokenize(Pieces& pieces) const = 0;
};

// The pre-tokenizer a tokenizer.json "pre_tokenizer" object describes (nullptr for JSON null);
// an unknown or malformed one fails naming the field.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonAt& config);

}  // namespace aha::tokenizer
