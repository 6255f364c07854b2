// UTF-8 text the way Python's str sees it: code points, whitespace, printable characters.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace aha::jinja {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Decodes the code point starting at byte `pos` of valid UTF-8 `text` and moves `pos` past it.
char32_t next_code_point(std::string_view text, size_t& pos);

// Appends `cp` to `out`, encoded as UTF-8.
void append_utf8(std::string& out, char32_t cp);

// The number of code points in valid UTF-8 `text` (Python's len()).
size_t code_point_count(std::string_view text);

// The byte offset of every code point of `text`, followed by text.size().
std::vector<size_t> code_point_offsets(std::string_view text);

// True for the characters Python's str.isspace() accepts.
bool is_python_space(char32_t cp);

// Bytes taken by the Python whitespace character starting at `pos`, or 0 when there is none.
size_t space_length_at(std::string_view text, size_t pos);

// True for the characters Python's str.isprintable() accepts; docs/chat-templates.md gives
// the one approximation (code points unassigned in Unicode count as printable).
bool is_python_printable(char32_t cp);

// True when `text` holds only ASCII bytes.
bool is_ascii(std::string_view text);

}  // namespace aha::jinja
