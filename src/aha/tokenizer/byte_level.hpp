// GPT-2's byte-level alphabet: each of the 256 byte values stands for one printable character
// (printable Latin-1 bytes for themselves, the others for U+0100 upwards), so that any byte
// string is a string of visible characters a BPE vocabulary can hold.
#pragma once

#include <string>
#include <string_view>

namespace aha::tokenizer::byte_level {

// The character that stands for byte `b`.
char32_t char_of(unsigned char b);

// The byte that character `c` stands for, or -1 when `c` is not in the alphabet.
int byte_of(char32_t c);

// Appends the alphabet characters for every byte of `bytes` to `out` (as UTF-8).
void encode(std::string_view bytes, std::string& out);

// Appends the bytes the characters of valid UTF-8 `text` stand for to `out`; returns false (and
// appends nothing) when a character is not in the alphabet.
bool decode(std::string_view text, std::string& out);

}  // namespace aha::tokenizer::byte_level
