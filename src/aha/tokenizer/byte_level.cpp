#include "aha/tokenizer/byte_level.hpp"

#include <array>

#include "aha/tokenizer/utf8.hpp"

namespace aha::tokenizer::byte_level {
namespace {

struct Tables {
  std::array<char32_t, 256> chars{};
  std::array<std::string, 256> utf8{};
  std::array<int, 0x200> bytes{};  // every alphabet character is below U+0144

  Tables() {
    bytes.fill(-1);
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      chars[b] = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
      utf8::append(utf8[b], chars[b]);
      bytes[chars[b]] = b;
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

char32_t char_of(unsigned char b) { return tables().chars[b]; }

int byte_of(char32_t c) { return c < 0x200 ? tables().bytes[c] : -1; }

void encode(std::string_view bytes, std::string& out) {
  const Tables& t = tables();
  for (char b : bytes) out += t.utf8[static_cast<unsigned char>(b)];
}

bool decode(std::string_view text, std::string& out) {
  const Tables& t = tables();
  const size_t start = out.size();
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t c = utf8::next(text, pos);
    const int b = c < 0x200 ? t.bytes[c] : -1;
    if (b < 0) {
      out.resize(start);
      return false;
    }
    out.push_back(static_cast<char>(b));
  }
  return true;
}

}  // namespace aha::tokenizer::byte_level
