#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer::utf8 {
namespace {

// Length of the sequence a lead byte announces (0 for a byte that cannot start one).
int sequence_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// The valid range of the second byte after `lead` (RFC 3629 table 3-7), which excludes
// overlong forms, surrogates and code points past U+10FFFF.
void second_byte_range(uint8_t lead, uint8_t& lo, uint8_t& hi) {
  lo = 0x80;
  hi = 0xBF;
  if (lead == 0xE0) lo = 0xA0;
  if (lead == 0xED) hi = 0x9F;
  if (lead == 0xF0) lo = 0x90;
  if (lead == 0xF4) hi = 0x8F;
}

// Bytes of a valid sequence at text[pos], or 0 with `consumed` set to the length of the maximal
// subpart to replace by one U+FFFD.
int valid_length(std::string_view text, size_t pos, size_t& consumed) {
  const auto lead = static_cast<uint8_t>(text[pos]);
  const int len = sequence_length(lead);
  consumed = 1;
  if (len == 0) return 0;
  if (len == 1) return 1;
  uint8_t lo, hi;
  second_byte_range(lead, lo, hi);
  for (int i = 1; i < len; ++i) {
    if (pos + i >= text.size()) return 0;
    const auto b = static_cast<uint8_t>(text[pos + i]);
    if (b < lo || b > hi) return 0;
    lo = 0x80;
    hi = 0xBF;
    consumed = static_cast<size_t>(i) + 1;
  }
  return len;
}

}  // namespace

char32_t next(std::string_view text, size_t& pos) {
  const auto lead = static_cast<uint8_t>(text[pos]);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  size_t consumed;
  const int len = valid_length(text, pos, consumed);
  if (len == 0) {
    pos += consumed;
    return kReplacement;
  }
  char32_t cp = lead & (0x7F >> len);
  for (int i = 1; i < len; ++i) cp = (cp << 6) | (static_cast<uint8_t>(text[pos + i]) & 0x3F);
  pos += static_cast<size_t>(len);
  return cp;
}

void append(std::string& out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = kReplacement;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_valid(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t consumed;
    const int len = valid_length(text, pos, consumed);
    if (len == 0) return false;
    pos += static_cast<size_t>(len);
  }
  return true;
}

std::string sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    if (next(text, pos) == kReplacement) append(out, kReplacement);  // a literal U+FFFD encodes to the same three bytes
    else out.append(text.substr(start, pos - start));
  }
  return out;
}

size_t complete_prefix(std::string_view bytes) {
  // Look back at most three bytes for a lead byte whose sequence runs past the end.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto b = static_cast<uint8_t>(bytes[n - back]);
    if ((b & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for its lead
    const int len = sequence_length(b);
    if (len <= static_cast<int>(back)) return n;  // complete, ASCII or invalid: nothing to hold back
    size_t consumed;
    valid_length(bytes, n - back, consumed);
    // Hold back only when every byte present so far is a valid prefix of the sequence.
    return consumed == back ? n - back : n;
  }
  return n;
}

size_t count(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace aha::tokenizer::utf8
