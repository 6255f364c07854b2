// UTF-8 helpers: decoding code points, repairing invalid input, finding where a complete text ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aha::tokenizer::utf8 {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes the code point at text[pos] and advances pos; an invalid sequence yields U+FFFD and
// advances over its maximal valid prefix (at least one byte), as the WHATWG decoder does.
char32_t next(std::string_view text, size_t& pos);

// Appends the UTF-8 encoding of `cp` to `out` (surrogates and values past U+10FFFF become U+FFFD).
void append(std::string& out, char32_t cp);

// True when `text` is well-formed UTF-8.
bool is_valid(std::string_view text);

// `text` with every invalid sequence replaced by U+FFFD (the WHATWG "replacement" decoding).
std::string sanitize(std::string_view text);

// Length of the longest prefix of `bytes` that does not end inside an incomplete (but so far
// valid) multi-byte sequence: the part a streaming decoder can hand out now.
size_t complete_prefix(std::string_view bytes);

// Number of code points in valid UTF-8 `text`.
size_t count(std::string_view text);

}  // namespace aha::tokenizer::utf8
