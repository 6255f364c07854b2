// Fuzz target for the server's HTTP request reading: the input is the bytes a client sends before
// its body. Any input must give a head and a framing, or a refusal with a 4xx/5xx status, never a
// crash or a hang; what is accepted must be consistent (the path is the target's prefix, a body
// within the limit, a known HTTP version).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "apps/serve/http_head.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aha::serve::http;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t end = head_end(bytes);
  if (end != std::string_view::npos && end > size) std::abort();
  Head head;
  const std::string_view text = end == std::string_view::npos ? bytes : bytes.substr(0, end);
  if (auto refusal = parse_head(text, head)) {
    if (refusal->status < 400 || refusal->status > 505 || refusal->message.empty()) std::abort();
    return 0;
  }
  if (head.target.compare(0, head.path.size(), head.path) != 0 || head.path.empty() || head.path[0] != '/')
    std::abort();
  if (head.minor_version != 0 && head.minor_version != 1) std::abort();
  if (head.headers.size() > kMaxHeaderFields) std::abort();
  Framing framing;
  constexpr size_t kMaxBody = 4096;
  if (auto refusal = body_framing(head, kMaxBody, framing)) {
    if (refusal->status < 400 || refusal->status > 417) std::abort();
  } else if (framing.content_length > kMaxBody) {
    std::abort();
  }
  return 0;
}
