// Unicode normalisation forms and character properties (through utf8proc).
#pragma once

#include <string>
#include <string_view>

namespace aha::tokenizer::unicode {

enum class Form { nfc, nfd, nfkc, nfkd };

// `text` (valid UTF-8) in normalisation form `form`.
std::string normalize(std::string_view text, Form form);

// Appends the full lower-case mapping of `c` to `out` (as Rust's char::to_lowercase does).
void append_lower(std::string& out, char32_t c);

// Unicode's White_Space property (Rust's char::is_whitespace).
bool is_white_space(char32_t c);

// General category N: Nd, Nl or No (Rust's char::is_numeric).
bool is_numeric(char32_t c);

// General category M: Mn, Mc or Me (a combining mark).
bool is_mark(char32_t c);

// General category P (punctuation) or an ASCII symbol (Rust's is_punctuation for BERT-style rules).
bool is_punctuation(char32_t c);

// A regex word character: letters, marks, decimal digits, connector punctuation, joiners.
bool is_word_char(char32_t c);

}  // namespace aha::tokenizer::unicode
