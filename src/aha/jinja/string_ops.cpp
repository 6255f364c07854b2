#include "aha/jinja/string_ops.hpp"

#include <algorithm>

#include "aha/base/error.hpp"
#include "aha/jinja/utf8.hpp"

namespace aha::jinja {
namespace {

bool contains_code_point(const std::string& set, char32_t cp) {
  size_t pos = 0;
  while (pos < set.size())
    if (next_code_point(set, pos) == cp) return true;
  return false;
}

bool strippable(char32_t cp, const std::string* chars) {
  return chars ? contains_code_point(*chars, cp) : is_python_space(cp);
}

// Code points that have no case in Unicode and so pass through lower()/upper() unchanged:
// ASCII non-letters, general punctuation and symbols, CJK, kana, Hangul and emoji.
bool caseless(char32_t cp) {
  if (cp < 0x80) return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'));
  return (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x2190 && cp <= 0x23FF) || (cp >= 0x2500 && cp <= 0x27BF) ||
         (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF01 && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) ||
         (cp >= 0xFF5B && cp <= 0xFF65) || (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
char to_lower(char c) { return is_upper(c) ? static_cast<char>(c + 32) : c; }
char to_upper(char c) { return is_lower(c) ? static_cast<char>(c - 32) : c; }

void check_caseless_beyond_ascii(std::string_view text, const char* method) {
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = next_code_point(text, pos);
    if (cp >= 0x80 && !caseless(cp))
      fail("str.{}() of text with the letter U+{:04X} is not supported (only ASCII case mapping is)", method,
           static_cast<unsigned>(cp));
  }
}

std::vector<std::string> split_on_spaces(std::string_view text, int64_t maxsplit, bool from_right) {
  const std::vector<size_t> at = code_point_offsets(text);
  const int64_t n = static_cast<int64_t>(at.size()) - 1;
  auto space = [&](int64_t k) {
    return is_python_space([&] {
      size_t p = at[k];
      return next_code_point(text, p);
    }());
  };
  std::vector<std::string> parts;
  if (!from_right) {
    for (int64_t i = 0;;) {
      while (i < n && space(i)) ++i;
      if (i >= n) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
        parts.emplace_back(text.substr(at[i]));
        break;
      }
      int64_t j = i;
      while (j < n && !space(j)) ++j;
      parts.emplace_back(text.substr(at[i], at[j] - at[i]));
      i = j;
    }
    return parts;
  }
  for (int64_t j = n;;) {
    while (j > 0 && space(j - 1)) --j;
    if (j <= 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      parts.emplace_back(text.substr(0, at[j]));
      break;
    }
    int64_t i = j;
    while (i > 0 && !space(i - 1)) --i;
    parts.emplace_back(text.substr(at[i], at[j] - at[i]));
    j = i;
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

}  // namespace

std::string py_strip(std::string_view text, Side side, const std::string* chars) {
  size_t begin = 0, end = text.size();
  if (side != Side::right) {
    while (begin < end) {
      size_t next = begin;
      if (!strippable(next_code_point(text, next), chars)) break;
      begin = next;
    }
  }
  if (side != Side::left) {
    while (end > begin) {
      size_t start = end - 1;
      while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
      size_t probe = start;
      if (!strippable(next_code_point(text, probe), chars)) break;
      end = start;
    }
  }
  return std::string(text.substr(begin, end - begin));
}

std::vector<std::string> py_split(std::string_view text, const std::string* sep, int64_t maxsplit, bool from_right) {
  if (!sep) return split_on_spaces(text, maxsplit, from_right);
  if (sep->empty()) fail("str.split: empty separator");
  std::vector<std::string> parts;
  if (!from_right) {
    size_t start = 0;
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      const size_t hit = text.find(*sep, start);
      if (hit == std::string_view::npos) break;
      parts.emplace_back(text.substr(start, hit - start));
      start = hit + sep->size();
    }
    parts.emplace_back(text.substr(start));
    return parts;
  }
  size_t end = text.size();
  while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
    if (end < sep->size()) break;
    const size_t hit = text.rfind(*sep, end - sep->size());
    if (hit == std::string_view::npos) break;
    parts.emplace_back(text.substr(hit + sep->size(), end - hit - sep->size()));
    end = hit;
  }
  parts.emplace_back(text.substr(0, end));
  std::reverse(parts.begin(), parts.end());
  return parts;
}

std::string py_replace(std::string_view text, std::string_view old, std::string_view replacement, int64_t count) {
  std::string out;
  int64_t done = 0;
  if (old.empty()) {
    size_t pos = 0;
    while (true) {
      if (count < 0 || done < count) {
        out += replacement;
        ++done;
      }
      if (pos >= text.size()) break;
      const size_t start = pos;
      next_code_point(text, pos);
      out += text.substr(start, pos - start);
    }
    return out;
  }
  size_t start = 0;
  while (count < 0 || done < count) {
    const size_t hit = text.find(old, start);
    if (hit == std::string_view::npos) break;
    out += text.substr(start, hit - start);
    out += replacement;
    start = hit + old.size();
    ++done;
  }
  out += text.substr(start);
  return out;
}

int64_t py_find(std::string_view text, std::string_view sub, std::optional<int64_t> start, std::optional<int64_t> end,
                bool from_right) {
  const std::vector<size_t> at = code_point_offsets(text);
  const int64_t n = static_cast<int64_t>(at.size()) - 1;
  auto clamp = [n](int64_t v) { return v < 0 ? std::max<int64_t>(v + n, 0) : std::min(v, n); };
  const int64_t s = start ? clamp(*start) : 0;
  const int64_t e = end ? clamp(*end) : n;
  if (start && *start > n) return -1;
  if (s > e) return -1;
  const std::string_view window = text.substr(at[s], at[e] - at[s]);
  const size_t hit = from_right ? window.rfind(sub) : window.find(sub);
  if (hit == std::string_view::npos) return -1;
  const size_t byte = at[s] + hit;
  return std::lower_bound(at.begin(), at.end(), byte) - at.begin();
}

int64_t py_count(std::string_view text, std::string_view sub) {
  if (sub.empty()) return static_cast<int64_t>(code_point_count(text)) + 1;
  int64_t count = 0;
  for (size_t hit = text.find(sub); hit != std::string_view::npos; hit = text.find(sub, hit + sub.size())) ++count;
  return count;
}

std::string py_lower(std::string_view text, const char* method) {
  check_caseless_beyond_ascii(text, method);
  std::string out(text);
  for (char& c : out) c = to_lower(c);
  return out;
}

std::string py_upper(std::string_view text, const char* method) {
  check_caseless_beyond_ascii(text, method);
  std::string out(text);
  for (char& c : out) c = to_upper(c);
  return out;
}

std::string py_title(std::string_view text) {
  check_caseless_beyond_ascii(text, "title");
  std::string out(text);
  bool previous_cased = false;
  for (char& c : out) {
    const bool cased = is_upper(c) || is_lower(c);
    if (cased) c = previous_cased ? to_lower(c) : to_upper(c);
    previous_cased = cased;
  }
  return out;
}

std::string py_capitalize(std::string_view text) {
  check_caseless_beyond_ascii(text, "capitalize");
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) out[i] = i == 0 ? to_upper(out[i]) : to_lower(out[i]);
  return out;
}

SliceRange slice_indices(std::optional<int64_t> start, std::optional<int64_t> stop, std::optional<int64_t> step,
                         int64_t length) {
  const int64_t s = step.value_or(1);
  if (s == 0) fail("slice step cannot be zero");
  const int64_t lower = s < 0 ? -1 : 0;
  const int64_t upper = s < 0 ? length - 1 : length;
  auto adjust = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = *v;
    if (x < 0) {
      x = x < -length ? lower : std::max(x + length, lower);
    } else if (x > upper) {
      x = upper;
    }
    return x;
  };
  return {adjust(start, s < 0 ? upper : lower), adjust(stop, s < 0 ? lower : upper), s};
}

std::vector<int64_t> slice_positions(const SliceRange& r) {
  std::vector<int64_t> positions;
  for (int64_t i = r.start; r.step > 0 ? i < r.stop : i > r.stop;) {
    positions.push_back(i);
    if (__builtin_add_overflow(i, r.step, &i)) break;
  }
  return positions;
}

}  // namespace aha::jinja
