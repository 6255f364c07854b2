#include "aha/tokenizer/unicode.hpp"

#include <utf8proc.h>

#include <atomic>
#include <cstdlib>

#include "aha/base/error.hpp"
#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer::unicode {
namespace {

utf8proc_category_t category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

bool is_ascii(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// The code point as NFC leaves it when it stands alone.
bool nfc_keeps_alone(char32_t c) {
  std::string text;
  utf8::append(text, c);
  utf8proc_uint8_t* result = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()), static_cast<utf8proc_ssize_t>(text.size()),
                   &result, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  const bool same = n >= 0 && std::string_view(reinterpret_cast<char*>(result), static_cast<size_t>(n)) == text;
  std::free(result);
  return same;
}

// True when NFC cannot change `c` or anything next to it: a starter (combining class 0) that NFC
// keeps as it is and that never composes with a preceding character. A text made only of such
// characters is already in NFC (the NFC_Quick_Check=Yes fast path of UAX #15, made stricter).
bool nfc_inert_uncached(char32_t c) {
  const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(c));
  if (p->combining_class != 0) return false;
  if (p->comb_index != UINT16_MAX && p->comb_index >= 0x8000) return false;        // second of a composition pair
  if ((c >= 0x1160 && c <= 0x11FF) || (c >= 0xD7B0 && c <= 0xD7FF)) return false;  // Hangul vowel/trailing jamo
  if (p->decomp_seqindex == UINT16_MAX || p->decomp_type != 0) return true;        // no canonical decomposition
  return nfc_keeps_alone(c);
}

bool nfc_inert(char32_t c) {
  if (c < 0x300) return true;
  if (c >= 0x10000) return nfc_inert_uncached(c);
  // Basic Multilingual Plane: computed once per code point (0 unknown, 1 inert, 2 not).
  static std::atomic<uint8_t> known[0x10000];
  uint8_t v = known[c].load(std::memory_order_relaxed);
  if (v == 0) {
    v = nfc_inert_uncached(c) ? 1 : 2;
    known[c].store(v, std::memory_order_relaxed);
  }
  return v == 1;
}

bool already_nfc(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    if (!nfc_inert(utf8::next(text, pos))) return false;
  }
  return true;
}

}  // namespace

std::string normalize(std::string_view text, Form form) {
  // ASCII is invariant under every form; most text is mostly ASCII, so skip utf8proc then.
  if (is_ascii(text) || (form == Form::nfc && already_nfc(text))) return std::string(text);
  int options = UTF8PROC_STABLE;
  switch (form) {
    case Form::nfc: options |= UTF8PROC_COMPOSE; break;
    case Form::nfd: options |= UTF8PROC_DECOMPOSE; break;
    case Form::nfkc: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case Form::nfkd: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* result = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()), static_cast<utf8proc_ssize_t>(text.size()),
                   &result, static_cast<utf8proc_option_t>(options));
  if (n < 0) fail("cannot normalise text: {}", utf8proc_errmsg(n));
  std::string out(reinterpret_cast<char*>(result), static_cast<size_t>(n));
  std::free(result);
  return out;
}

void append_lower(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    return;
  }
  if (c == 0x130) {  // the one unconditional multi-character lower-case mapping
    out += "i\xCC\x87";
    return;
  }
  utf8::append(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
}

bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_numeric(char32_t c) {
  const auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool is_mark(char32_t c) {
  const auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME;
}

bool is_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  const auto cat = category(c);
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

bool is_word_char(char32_t c) {
  if (c == '_' || c == 0x200C || c == 0x200D) return true;
  const auto cat = category(c);
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
         (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) || cat == UTF8PROC_CATEGORY_ND ||
         cat == UTF8PROC_CATEGORY_PC;
}

}  // namespace aha::tokenizer::unicode
