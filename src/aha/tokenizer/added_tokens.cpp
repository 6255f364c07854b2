#include "aha/tokenizer/added_tokens.hpp"

#include "aha/base/error.hpp"
#include "aha/tokenizer/unicode.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer {
namespace {

// The code point that ends text[0, end) (text is valid UTF-8, end > 0).
char32_t char_before(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return utf8::next(text, start);
}

size_t char_start_before(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return start;
}

}  // namespace

void AddedTokens::Trie::insert(std::string_view key, int32_t token) {
  if (nodes.empty()) nodes.emplace_back();
  first_byte[static_cast<unsigned char>(key[0])] = true;
  int32_t node = 0;
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    int32_t child = -1;
    for (const auto& [byte, index] : nodes[static_cast<size_t>(node)].children)
      if (byte == c) child = index;
    if (child < 0) {
      child = static_cast<int32_t>(nodes.size());
      nodes[static_cast<size_t>(node)].children.emplace_back(c, child);
      nodes.emplace_back();
    }
    node = child;
  }
  nodes[static_cast<size_t>(node)].token = token;  // a later duplicate wins
}

int32_t AddedTokens::Trie::longest(std::string_view text, size_t pos, size_t& length) const {
  int32_t best = -1;
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    int32_t child = -1;
    for (const auto& [byte, index] : nodes[static_cast<size_t>(node)].children)
      if (byte == c) {
        child = index;
        break;
      }
    if (child < 0) break;
    node = child;
    if (nodes[static_cast<size_t>(node)].token >= 0) {
      best = nodes[static_cast<size_t>(node)].token;
      length = i + 1 - pos;
    }
  }
  return best;
}

AddedTokens AddedTokens::from_json(const JsonAt& list, const Normalizer* normalizer) {
  AddedTokens added;
  for (size_t i = 0; i < list.size(); ++i) {
    const JsonAt entry = list[i];
    AddedToken t;
    t.id = static_cast<int32_t>(entry["id"].integer(0, kMaxTokenId));
    t.content = entry["content"].str();
    t.single_word = entry.bool_or("single_word", false);
    t.lstrip = entry.bool_or("lstrip", false);
    t.rstrip = entry.bool_or("rstrip", false);
    t.special = entry.bool_or("special", false);
    t.normalized = entry.bool_or("normalized", !t.special);
    if (!utf8::is_valid(t.content)) entry["content"].fail("not valid UTF-8");
    added.tokens_.push_back(std::move(t));
  }
  for (size_t i = 0; i < added.tokens_.size(); ++i) {
    const AddedToken& t = added.tokens_[i];
    std::string key = t.content;
    if (t.normalized && normalizer != nullptr) normalizer->normalize(key);
    if (!key.empty()) added.tries_[t.normalized].insert(key, static_cast<int32_t>(i));
    added.by_id_[t.id] = i;  // a later entry for the same id or content wins
    added.by_content_[t.content] = i;
  }
  return added;
}

void AddedTokens::split(std::string_view text, bool normalized, std::vector<Segment>& out) const {
  const Trie& trie = tries_[normalized];
  size_t done = 0;  // text before this is already in `out`
  size_t pos = 0;
  while (!trie.nodes.empty() && pos < text.size()) {
    if (!trie.first_byte[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    size_t length = 0;
    const int32_t index = trie.longest(text, pos, length);
    if (index < 0) {
      ++pos;
      continue;
    }
    const AddedToken& t = tokens_[static_cast<size_t>(index)];
    size_t begin = pos, end = pos + length;
    pos = end;  // the search goes on after this match even when single_word rejects it
    if (t.single_word) {
      const bool word_before = begin > 0 && unicode::is_word_char(char_before(text, begin));
      size_t after = end;
      const bool word_after = end < text.size() && unicode::is_word_char(utf8::next(text, after));
      if (word_before || word_after) continue;
    }
    if (t.lstrip) {
      while (begin > done && unicode::is_white_space(char_before(text, begin))) begin = char_start_before(text, begin);
    }
    if (t.rstrip) {
      while (end < text.size()) {
        size_t next = end;
        if (!unicode::is_white_space(utf8::next(text, next))) break;
        end = next;
      }
      pos = end;
    }
    if (begin > done) out.push_back({done, begin, Segment::kText});
    out.push_back({begin, end, t.id});
    done = end;
  }
  if (done < text.size()) out.push_back({done, text.size(), Segment::kText});
}

const AddedToken* AddedTokens::find(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<int32_t> AddedTokens::token_to_id(std::string_view content) const {
  auto it = by_content_.find(content);
  if (it == by_content_.end()) return std::nullopt;
  return tokens_[it->second].id;
}

}  // namespace aha::tokenizer
