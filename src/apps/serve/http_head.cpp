#include "apps/serve/http_head.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace aha::serve::http {
namespace {

// RFC 9110's token characters (method and field names).
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits `text` into lines ending in "\n" (an optional "\r" before it is dropped); a "\r"
// anywhere else makes the head malformed.
std::optional<std::vector<std::string_view>> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string_view::npos; start = nl + 1) {
    std::string_view line = text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) return std::nullopt;
    lines.push_back(line);
  }
  if (start != text.size()) return std::nullopt;  // bytes after the last newline
  return lines;
}

Refusal bad(std::string message) { return {400, std::move(message)}; }

std::optional<Refusal> parse_request_line(std::string_view line, Head& out) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return bad("malformed request line");
  const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = line.substr(sp2 + 1);
  if (method.empty() || method.size() > 16 || !std::all_of(method.begin(), method.end(), is_tchar))
    return bad("malformed request method");
  if (target.empty() || target[0] != '/') return bad("the request target must be a path starting with '/'");
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return bad("the request target holds a byte that is not visible ASCII");
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || (version[7] != '0' && version[7] != '1'))
    return Refusal{505, "only HTTP/1.0 and HTTP/1.1 are served"};
  out.method = method;
  out.target = target;
  out.path = target.substr(0, target.find('?'));
  out.minor_version = version[7] - '0';
  return std::nullopt;
}

std::optional<Refusal> parse_field(std::string_view line, Head& out) {
  if (line[0] == ' ' || line[0] == '\t') return bad("folded header lines are not accepted");
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return bad("a header line without a field name");
  const std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_tchar)) return bad("malformed header field name");
  const std::string_view value = trim(line.substr(colon + 1));
  for (char c : value)
    if (c == '\0') return bad("a header field value holds a NUL byte");
  if (out.headers.size() == kMaxHeaderFields)
    return Refusal{431, fmt::format("more than {} header fields", kMaxHeaderFields)};
  out.headers.emplace_back(lower(name), std::string(value));
  return std::nullopt;
}

// Content-Length: one decimal number; repeated fields must agree.
std::optional<Refusal> content_length(const Head& head, size_t& out) {
  std::optional<std::string> seen;
  for (const auto& [name, value] : head.headers) {
    if (name != "content-length") continue;
    if (value.empty() || value.size() > 18 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return bad("malformed Content-Length");
    if (seen && *seen != value) return bad("Content-Length fields disagree");
    seen = value;
  }
  out = seen ? static_cast<size_t>(std::stoull(*seen)) : 0;
  return std::nullopt;
}

// Whether a comma-separated field (Connection) lists `token`.
bool lists(const Head& head, std::string_view field, std::string_view token) {
  for (const auto& [name, value] : head.headers) {
    if (name != field) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      if (iequals(trim(rest.substr(0, comma)), token)) return true;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return false;
}

}  // namespace

const std::string* Head::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (n == name) return &v;
  return nullptr;
}

size_t Head::count(std::string_view name) const {
  return static_cast<size_t>(
      std::count_if(headers.begin(), headers.end(), [&](const auto& f) { return f.first == name; }));
}

size_t head_end(std::string_view buffer) {
  for (size_t nl = buffer.find('\n'); nl != std::string_view::npos; nl = buffer.find('\n', nl + 1)) {
    if (nl + 1 < buffer.size() && buffer[nl + 1] == '\n') return nl + 2;
    if (nl + 2 < buffer.size() && buffer[nl + 1] == '\r' && buffer[nl + 2] == '\n') return nl + 3;
  }
  return std::string_view::npos;
}

std::optional<Refusal> parse_head(std::string_view text, Head& out) {
  out = Head();
  auto lines = split_lines(text);
  if (!lines || lines->size() < 2 || !lines->back().empty()) return bad("malformed request head");
  if (auto refusal = parse_request_line(lines->front(), out)) return refusal;
  for (size_t i = 1; i + 1 < lines->size(); ++i)
    if (auto refusal = parse_field((*lines)[i], out)) return refusal;
  const size_t hosts = out.count("host");
  if (hosts > 1 || (hosts == 0 && out.minor_version == 1))
    return bad("an HTTP/1.1 request needs exactly one Host field");
  return std::nullopt;
}

std::optional<Refusal> body_framing(const Head& head, size_t max_body, Framing& out) {
  out = Framing();
  out.keep_alive =
      head.minor_version == 1 ? !lists(head, "connection", "close") : lists(head, "connection", "keep-alive");
  if (head.header("transfer-encoding"))
    return Refusal{411, "chunked (Transfer-Encoding) request bodies are not accepted: send Content-Length"};
  if (const std::string* encoding = head.header("content-encoding"); encoding && !iequals(*encoding, "identity"))
    return Refusal{415, fmt::format("compressed request bodies (Content-Encoding: {}) are not accepted", *encoding)};
  if (auto refusal = content_length(head, out.content_length)) return refusal;
  if (head.method == "POST" && !head.header("content-length"))
    return Refusal{411, "a POST request needs Content-Length"};
  if (out.content_length > max_body)
    return Refusal{413,
                   fmt::format("the request body is too large ({} bytes; at most {})", out.content_length, max_body)};
  if (const std::string* expect = head.header("expect")) {
    if (!iequals(*expect, "100-continue")) return Refusal{417, fmt::format("unknown expectation '{}'", *expect)};
    out.expect_continue = out.content_length > 0;
  }
  return std::nullopt;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace aha::serve::http
