// Added and special tokens of tokenizer.json ("added_tokens"). They are found in the text before
// pre-tokenization, leftmost first and longest among those starting at the same place:
// non-normalized tokens in the raw text, normalized ones in the text after the normalizer.
// lstrip/rstrip swallow the white space beside a match; single_word rejects a match that has a
// word character on either side.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aha/tokenizer/json_at.hpp"
#include "aha/tokenizer/normalizers.hpp"
#include "aha/tokenizer/token_map.hpp"

namespace aha::tokenizer {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool single_word = false, lstrip = false, rstrip = false, normalized = true, special = false;
};

// A stretch [begin, end) of a text: an added token's id, or kText for text to tokenize.
struct Segment {
  static constexpr int32_t kText = -1;
  size_t begin = 0, end = 0;
  int32_t id = kText;
};

class AddedTokens {
 public:
  // Reads the "added_tokens" array; `normalizer` (may be null) gives normalized tokens the form
  // they are matched in.
  static AddedTokens from_json(const JsonAt& list, const Normalizer* normalizer);

  // Cuts `text` into segments at the tokens whose `normalized` flag equals `normalized`, and
  // appends them (covering the whole text, in order) to `out`.
  void split(std::string_view text, bool normalized, std::vector<Segment>& out) const;

  // True when some token has `normalized` equal to the argument.
  bool any(bool normalized) const { return !tries_[normalized].nodes.empty(); }
  // The added token with id `id`, or nullptr.
  const AddedToken* find(int32_t id) const;
  // The id of the added token `content`, if there is one.
  std::optional<int32_t> token_to_id(std::string_view content) const;
  // Every added token, in file order.
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // A byte trie of token contents; node 0 is the root.
  struct Trie {
    struct Node {
      std::vector<std::pair<unsigned char, int32_t>> children;
      int32_t token = -1;  // index into tokens_ of the token ending here
    };
    std::vector<Node> nodes;
    bool first_byte[256] = {};
    void insert(std::string_view key, int32_t token);
    // Index of the longest token starting at text[pos] and its length, or -1.
    int32_t longest(std::string_view text, size_t pos, size_t& length) const;
  };
  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> by_content_;
  Trie tries_[2];  // [0]: non-normalized tokens, [1]: normalized ones
};

}  // namespace aha::tokenizer
