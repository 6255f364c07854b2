// Text made safe for HTML (and the SVG inlined in it): escaping and length limits.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace aha::report {

// `text` with &, <, >, " and ' replaced by character references, so that it shows as text in an
// element or an attribute value.
std::string html_escape(std::string_view text);

// The escaped `text`, cut after at most `max_bytes` bytes (never inside a UTF-8 character) with a
// note saying how many bytes were left out.
std::string escape_truncated(std::string_view text, size_t max_bytes);

}  // namespace aha::report
