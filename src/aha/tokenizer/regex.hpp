// Regular expressions of tokenizer.json (Split patterns, Replace patterns), run by PCRE2 with JIT
// in UTF + UCP mode. Patterns are written for Hugging Face tokenizers; they are translated so that
// they match as the reference JavaScript implementation does (see translate_pattern).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aha/tokenizer/json_at.hpp"

namespace aha::tokenizer {

// A match as byte offsets [begin, end) into the searched text.
struct Match {
  size_t begin = 0, end = 0;
};

class Regex {
 public:
  // Compiles `pattern` (tokenizer.json syntax); a bad pattern fails naming `where`.
  static Regex compile(std::string_view pattern, const std::string& where);
  // A regex matching the literal text `text`.
  static Regex literal(std::string_view text);

  // Every non-overlapping match in valid UTF-8 `text`, left to right, appended to `out`.
  // An empty match advances the search by one character, as JavaScript's matchAll does.
  void find_all(std::string_view text, std::vector<Match>& out) const;
  // `text` with every match replaced by `with` (taken literally).
  std::string replace_all(std::string_view text, std::string_view with) const;
  // The pattern PCRE2 compiled.
  const std::string& pattern() const { return pcre_pattern_; }

 private:
  struct Code;
  std::shared_ptr<const Code> code_;
  std::string pcre_pattern_;
};

// The regex a tokenizer.json pattern object describes: {"String": text} or {"Regex": pattern}.
Regex make_pattern(const JsonAt& pattern);

// Rewrites a tokenizer.json pattern into PCRE2 syntax with JavaScript's meaning: `\s`/`\S` use
// ECMAScript's white-space set (which includes U+FEFF and excludes U+0085), and `(?i:...)`
// groups fold ASCII letters only, as the reference implementation rewrites them.
std::string translate_pattern(std::string_view pattern);

}  // namespace aha::tokenizer
