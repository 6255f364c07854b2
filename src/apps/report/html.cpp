#include "apps/report/html.hpp"

#include <fmt/format.h>

namespace aha::report {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_truncated(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return html_escape(text);
  size_t cut = max_bytes;
  // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return html_escape(text.substr(0, cut)) +
         fmt::format("<span class=\"note\">… (truncated: {} more bytes)</span>", text.size() - cut);
}

}  // namespace aha::report
