// Reading an HTTP/1.x request head (request line and header fields) and deciding how its body is
// framed. Pure functions over bytes, so that they can be fuzzed; the event loop that calls them is
// in http_server.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aha::serve::http {

inline constexpr size_t kMaxHeaderFields = 100;

struct Head {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // as sent: "/v1/models?x=1"
  std::string path;                                          // the target without its query: "/v1/models"
  int minor_version = 1;                                     // HTTP/1.0 or HTTP/1.1
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed

  // The value of the first field named `name` (lower case), or nullptr.
  const std::string* header(std::string_view name) const;
  // How many fields are named `name`.
  size_t count(std::string_view name) const;
};

// A request the server refuses: the status to answer and why, in one line.
struct Refusal {
  int status;
  std::string message;
};

// Where the head in `buffer` ends: the offset just past the blank line ("\r\n\r\n" or "\n\n"),
// or std::string_view::npos while the blank line has not arrived.
size_t head_end(std::string_view buffer);

// Parses a complete head (up to and including its blank line). Bare CR, folded lines, a space
// before a field's colon, more than kMaxHeaderFields fields, a target that is not a path and a
// missing or repeated Host (HTTP/1.1) are refused; so is an HTTP version other than 1.0 and 1.1.
std::optional<Refusal> parse_head(std::string_view text, Head& out);

// How a request's body is framed.
struct Framing {
  size_t content_length = 0;
  bool expect_continue = false;  // the client waits for "100 Continue" before sending the body
  bool keep_alive = true;        // the connection may carry another request afterwards
};

// Reads the framing of `head`'s body: only Content-Length bodies of at most `max_body` bytes,
// without a Content-Encoding. Chunked bodies get 411, compressed ones 415, larger ones 413, a
// POST without Content-Length 411 — all decided before a byte of the body is read.
std::optional<Refusal> body_framing(const Head& head, size_t max_body, Framing& out);

// The reason phrase of `status` ("Not Found"), or "Unknown".
const char* reason_phrase(int status);

}  // namespace aha::serve::http
