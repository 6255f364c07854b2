// The server's request-head reader: what it accepts, what it refuses and with which status.
#include "apps/serve/http_head.hpp"

#include <gtest/gtest.h>

namespace aha::serve::http {
namespace {

std::optional<Refusal> parse(const std::string& text, Head& head) { return parse_head(text, head); }

int refused_with(const std::string& text) {
  Head head;
  auto refusal = parse(text, head);
  return refusal ? refusal->status : 0;
}

int framing_refused_with(const std::string& text, size_t max_body = 1000) {
  Head head;
  if (auto refusal = parse(text, head)) return -refusal->status;
  Framing framing;
  auto refusal = body_framing(head, max_body, framing);
  return refusal ? refusal->status : 0;
}

TEST(HttpHead, finds_the_end_of_a_head_with_either_line_ending) {
  EXPECT_EQ(head_end("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"), 27u);
  EXPECT_EQ(head_end("GET / HTTP/1.1\nHost: x\n\nbody"), 24u);
  EXPECT_EQ(head_end("GET / HTTP/1.1\r\nHost: x\r\n"), std::string_view::npos);
  EXPECT_EQ(head_end("GET / HTTP/1.1\r\nHost: x\r\n\r"), std::string_view::npos);
}

TEST(HttpHead, reads_a_request_line_and_fields) {
  Head head;
  ASSERT_FALSE(
      parse("POST /v1/completions?a=1 HTTP/1.1\r\nHost: example\r\nContent-TYPE:  application/json \r\n"
            "X-Empty:\r\n\r\n",
            head));
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/v1/completions?a=1");
  EXPECT_EQ(head.path, "/v1/completions");
  EXPECT_EQ(head.minor_version, 1);
  ASSERT_NE(head.header("content-type"), nullptr);
  EXPECT_EQ(*head.header("content-type"), "application/json");
  EXPECT_EQ(*head.header("x-empty"), "");
  EXPECT_EQ(head.header("accept"), nullptr);
}

TEST(HttpHead, refuses_malformed_heads_with_the_right_status) {
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
  EXPECT_EQ(refused_with("GET / HTTP/1.0\r\n\r\n"), 0);    // HTTP/1.0 needs no Host
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\n\r\n"), 400);  // HTTP/1.1 does
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(refused_with("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);  // two spaces
  EXPECT_EQ(refused_with("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("G@T / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), 400);  // space before the colon
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n"), 400);  // a bare CR
  EXPECT_EQ(refused_with(std::string("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n", 28)), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nno colon\r\n\r\n"), 400);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (size_t i = 0; i < kMaxHeaderFields; ++i) many += "X: y\r\n";
  EXPECT_EQ(refused_with(many + "\r\n"), 431);
}

TEST(HttpHead, frames_bodies_by_content_length_only) {
  const std::string post = "POST / HTTP/1.1\r\nHost: x\r\n";
  EXPECT_EQ(framing_refused_with(post + "Content-Length: 10\r\n\r\n"), 0);
  EXPECT_EQ(framing_refused_with(post + "\r\n"), 411);
  EXPECT_EQ(framing_refused_with(post + "Transfer-Encoding: chunked\r\n\r\n"), 411);
  EXPECT_EQ(framing_refused_with(post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 411);
  EXPECT_EQ(framing_refused_with(post + "Content-Encoding: gzip\r\nContent-Length: 10\r\n\r\n"), 415);
  EXPECT_EQ(framing_refused_with(post + "Content-Encoding: identity\r\nContent-Length: 10\r\n\r\n"), 0);
  EXPECT_EQ(framing_refused_with(post + "Content-Length: 1001\r\n\r\n"), 413);
  EXPECT_EQ(framing_refused_with(post + "Content-Length: 99999999999999999999\r\n\r\n"), 400);
  EXPECT_EQ(framing_refused_with(post + "Content-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(framing_refused_with(post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
  EXPECT_EQ(framing_refused_with(post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n"), 0);
  EXPECT_EQ(framing_refused_with(post + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n"), 0);
  EXPECT_EQ(framing_refused_with(post + "Content-Length: 5\r\nExpect: something\r\n\r\n"), 417);
  EXPECT_EQ(framing_refused_with("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
}

TEST(HttpHead, keeps_a_connection_alive_as_the_version_and_connection_field_say) {
  auto keep_alive = [](const std::string& text) {
    Head head;
    EXPECT_FALSE(parse(text, head));
    Framing framing;
    EXPECT_FALSE(body_framing(head, 0, framing));
    return framing.keep_alive;
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

}  // namespace
}  // namespace aha::serve::http
