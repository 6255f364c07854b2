// `aha serve` against the attacks of issue #17, each reproduced against the release binary before
// the server had its own HTTP layer: bodies past the limit in chunks or compressed, a head that
// never ends, crowds of trickling clients, SIGTERM while they trickle, a request that asks for
// gigabytes of log-probabilities, requests from another origin, and keys kept off the command line.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <cstdlib>

#include "aha/base/error.hpp"
#include "apps/serve/request.hpp"
#include "apps/serve/server.hpp"
#include "serve/serve_fixture.hpp"

namespace aha {
namespace {

using test::body_json;
using test::connect_to;
using test::send_all;
using Clock = std::chrono::steady_clock;

// Reads from `fd` until the response head has arrived (or the connection ends, or `timeout`);
// returns the head ("" when nothing came).
std::string read_head(int fd, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::string got;
  const auto deadline = Clock::now() + timeout;
  char buffer[4096];
  while (got.find("\r\n\r\n") == std::string::npos && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    got.append(buffer, static_cast<size_t>(n));
  }
  return got;
}

// The status code of a response head, 0 when there is none.
int status_of(const std::string& head) { return head.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(head.c_str() + 9) : 0; }

// Whether the server closes `fd` within `timeout` (reading and discarding what it sends).
bool closed_within(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  char buffer[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    if (recv(fd, buffer, sizeof buffer, 0) <= 0) return true;
  }
  return false;
}

std::string completion_head(const std::string& extra) {
  return "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + extra + "\r\n";
}

// Clients that open a request and send one more byte of a never-ending header every 100 ms:
// each read of the server gets a byte well within any per-read timeout.
class Tricklers {
 public:
  Tricklers(int port, int count) {
    for (int i = 0; i < count; ++i) {
      const int fd = connect_to(port);
      if (fd >= 0 && send_all(fd, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")) fds_.push_back(fd);
    }
    thread_ = std::thread([this] {
      while (!stop_) {
        for (int fd : fds_) send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~Tricklers() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_) close(fd);
  }
  size_t connected() const { return fds_.size(); }

 private:
  std::vector<int> fds_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class ServeAttack : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    test::write_chat_model(dir_->path().string());
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model() { return dir_->path().string(); }
  static test::TempDir* dir_;
};

test::TempDir* ServeAttack::dir_ = nullptr;

// Times one /health and one real completion on a fresh connection each.
void expect_served_within_a_second(const test::ServeProcess& server) {
  auto start = Clock::now();
  auto health = server.client().Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1)) << "/health was slow";
  start = Clock::now();
  auto real = server.client().Post("/v1/completions", R"({"prompt": "12 +", "max_tokens": 4})", "application/json");
  ASSERT_TRUE(real);
  EXPECT_EQ(real->status, 200) << real->body;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1)) << "the completion was slow";
}

TEST_F(ServeAttack, a_chunked_body_past_the_limit_gets_411_and_is_never_kept) {
  test::ServeProcess server("--model " + model() + " --max-body-kib 1");
  ASSERT_GT(server.port(), 0) << server.log();
  const long before = server.rss_kib();
  const int fd = connect_to(server.port());
  std::thread sender([fd] {
    send_all(fd, completion_head("Transfer-Encoding: chunked\r\n"));
    const std::string chunk = fmt::format("{:x}\r\n{}\r\n", 1 << 20, std::string(1 << 20, 'a'));
    for (int i = 0; i < 30 && send_all(fd, chunk); ++i) {
    }
  });
  const std::string head = read_head(fd);
  sender.join();
  close(fd);
  EXPECT_EQ(status_of(head), 411) << head;
  EXPECT_LT(server.rss_kib() - before, 10 * 1024);
}

TEST_F(ServeAttack, a_compressed_body_gets_415_and_is_never_inflated) {
  test::ServeProcess server("--model " + model() + " --max-body-kib 64");
  ASSERT_GT(server.port(), 0) << server.log();
  // 50 MB of zeros compress to about 48 KB: under the limit as sent, a thousand times over it inflated.
  test::TempDir tmp;
  ASSERT_EQ(test::run_shell("head -c 50000000 /dev/zero | gzip -c > " + tmp.file("bomb.gz")).first, 0);
  const std::string bomb = read_file(tmp.file("bomb.gz"));
  ASSERT_LT(bomb.size(), 64u * 1024);
  const long before = server.rss_kib();
  const int fd = connect_to(server.port());
  send_all(fd, completion_head(fmt::format("Content-Encoding: gzip\r\nContent-Length: {}\r\n", bomb.size())) + bomb);
  const std::string head = read_head(fd);
  close(fd);
  EXPECT_EQ(status_of(head), 415) << head;
  EXPECT_LT(server.rss_kib() - before, 10 * 1024);
}

TEST_F(ServeAttack, a_head_that_never_ends_gets_431_after_16_kib) {
  test::ServeProcess server("--model " + model());
  ASSERT_GT(server.port(), 0) << server.log();
  const long before = server.rss_kib();
  const int fd = connect_to(server.port());
  std::thread sender([fd] {
    send_all(fd, "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: ");
    const std::string part(1 << 20, 'a');
    for (int i = 0; i < 30 && send_all(fd, part); ++i) {
    }
  });
  const std::string head = read_head(fd);
  sender.join();
  close(fd);
  EXPECT_EQ(status_of(head), 431) << head;
  EXPECT_LT(server.rss_kib() - before, 10 * 1024);
}

TEST_F(ServeAttack, two_hundred_trickling_clients_keep_neither_health_nor_a_real_request_out) {
  test::ServeProcess server("--model " + model() + " --parallel 2 --queue 1");
  ASSERT_GT(server.port(), 0) << server.log();
  Tricklers tricklers(server.port(), 200);
  ASSERT_EQ(tricklers.connected(), 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  expect_served_within_a_second(server);
  EXPECT_GE(body_json(server.client().Get("/health"))["connections"].get<int64_t>(), 200);
}

TEST_F(ServeAttack, at_the_connection_limit_the_slowest_client_makes_room) {
  test::ServeProcess server("--model " + model() + " --max-connections 64");
  ASSERT_GT(server.port(), 0) << server.log();
  Tricklers tricklers(server.port(), 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  expect_served_within_a_second(server);
  EXPECT_LE(body_json(server.client().Get("/health"))["connections"].get<int64_t>(), 64);
}

TEST_F(ServeAttack, a_request_that_trickles_in_is_dropped_at_its_deadline_not_per_read) {
  test::ServeProcess server("--model " + model() + " --read-timeout 1");
  ASSERT_GT(server.port(), 0) << server.log();
  const int fd = connect_to(server.port());
  send_all(fd, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  const auto start = Clock::now();
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    while (!stop && send(fd, "a", 1, MSG_NOSIGNAL) == 1) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  });
  const bool closed = closed_within(fd, std::chrono::seconds(4));
  stop = true;
  trickle.join();
  close(fd);
  EXPECT_TRUE(closed) << "a byte every 100 ms kept the request open";
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2500));
}

TEST_F(ServeAttack, sigterm_with_trickling_clients_and_a_running_stream_exits_within_5_s) {
  test::TempDir endless;
  test::write_endless_model(endless.path().string());
  test::ServeProcess server("--model " + endless.path().string());
  ASSERT_GT(server.port(), 0) << server.log();
  Tricklers tricklers(server.port(), 50);
  std::string body;
  std::thread client([&] {
    auto r = server.client().Post("/v1/completions", R"({"prompt": "12 +", "max_tokens": 4000, "stream": true})",
                                  "application/json");
    if (r) body = r->body;
  });
  while (body_json(server.client().Get("/health"))["tokens_generated"] == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto start = Clock::now();
  kill(server.pid(), SIGTERM);
  EXPECT_EQ(server.wait_exit(), 0) << server.log();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  client.join();
  const std::vector<std::string> events = test::sse_data(body);
  ASSERT_GE(events.size(), 2u) << body;
  EXPECT_EQ(events.back(), "[DONE]") << "the stream was cut instead of ended";
}

TEST_F(ServeAttack, a_request_for_every_log_probability_stays_under_100_mb) {
  test::ServeProcess server("--model " + model() + " --parallel 16");
  ASSERT_GT(server.port(), 0) << server.log();
  auto r = server.client().Post("/v1/chat/completions",
                                R"({"messages": [{"role": "user", "content": "Hi"}], "n": 128, "max_tokens": 200,
                                    "logprobs": true, "top_logprobs": 20, "ignore_eos": true, "seed": 1})",
                                "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body.substr(0, 300);
  const Json answer = body_json(r);
  ASSERT_EQ(answer["choices"].size(), 128u);
  EXPECT_EQ(answer["choices"][127]["logprobs"]["content"].size(), 200u);
  EXPECT_EQ(answer["choices"][127]["logprobs"]["content"][0]["top_logprobs"].size(), 20u);
  // VmHWM: the most the server's resident memory reached.
  std::ifstream status(fmt::format("/proc/{}/status", server.pid()));
  long peak_kib = 0;
  for (std::string key; status >> key;)
    if (key == "VmHWM:" && status >> peak_kib) break;
  EXPECT_GT(peak_kib, 0);
#if !defined(__SANITIZE_ADDRESS__)  // AddressSanitizer's shadow memory and quarantine are resident too
  EXPECT_LT(peak_kib, 100 * 1024);
#endif
}

TEST_F(ServeAttack, a_full_server_answers_429_from_the_head_without_waiting_for_the_body) {
  test::TempDir endless;
  test::write_endless_model(endless.path().string());
  test::ServeProcess server("--model " + endless.path().string() + " --parallel 1 --queue 0");
  ASSERT_GT(server.port(), 0) << server.log();
  std::thread busy([&] {
    server.client().Post("/v1/completions", R"({"prompt": "12 +", "max_tokens": 3000})", "application/json");
  });
  while (body_json(server.client().Get("/health"))["requests_active"] == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int fd = connect_to(server.port());
  send_all(fd, completion_head("Content-Length: 4000000\r\n"));  // and no body
  const std::string head = read_head(fd, std::chrono::seconds(2));
  close(fd);
  EXPECT_EQ(status_of(head), 429) << head;
  kill(server.pid(), SIGTERM);
  busy.join();
}

TEST_F(ServeAttack, bodies_announced_together_are_bounded_to_64_mib) {
  test::ServeProcess server("--model " + model());
  ASSERT_GT(server.port(), 0) << server.log();
  // Each announces the largest body (4 MiB) and sends none of it: the first 16 are waited for
  // (64 MiB in all), the next is told to come back.
  std::vector<int> fds;
  for (int i = 0; i < 16; ++i) {
    fds.push_back(connect_to(server.port()));
    send_all(fds.back(), completion_head("Content-Length: 4194304\r\n"));
  }
  const int extra = connect_to(server.port());
  send_all(extra, completion_head("Content-Length: 4194304\r\n"));
  EXPECT_EQ(status_of(read_head(extra, std::chrono::seconds(2))), 503);
  close(extra);
  close(fds.front());  // its share is free again
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int next = connect_to(server.port());
  send_all(next, completion_head("Content-Length: 4194304\r\n"));
  EXPECT_EQ(status_of(read_head(next, std::chrono::milliseconds(500))), 0) << "it should be waited for";
  close(next);
  for (size_t i = 1; i < fds.size(); ++i) close(fds[i]);
}

TEST(ServeHost, loopback_means_an_address_of_this_machine_or_localhost) {
  for (const char* yes : {"localhost", "127.0.0.1", "127.1.2.3", "::1"}) EXPECT_TRUE(serve::is_loopback(yes)) << yes;
  for (const char* no : {"127.0.0.1.attacker.example", "localhost.attacker.example", "0.0.0.0", "10.0.0.1",
                         "::", "::ffff:10.0.0.1", "", "127"})
    EXPECT_FALSE(serve::is_loopback(no)) << no;
}

TEST_F(ServeAttack, bound_to_loopback_a_foreign_host_name_is_refused) {
  test::ServeProcess server("--model " + model());
  ASSERT_GT(server.port(), 0) << server.log();
  auto get = [&](const std::string& host) {
    const int fd = connect_to(server.port());
    send_all(fd, fmt::format("GET /v1/models HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", host));
    const int status = status_of(read_head(fd));
    close(fd);
    return status;
  };
  // A page on attacker.example whose name was rebound to 127.0.0.1 sends its own name.
  EXPECT_EQ(get("attacker.example"), 403);
  EXPECT_EQ(get("attacker.example:" + std::to_string(server.port())), 403);
  EXPECT_EQ(get("127.0.0.1.attacker.example"), 403);  // a name that merely starts like an address
  EXPECT_EQ(get("localhost.attacker.example"), 403);
  EXPECT_EQ(get("localhost:" + std::to_string(server.port())), 200);
  EXPECT_EQ(get("127.0.0.1"), 200);
  EXPECT_EQ(get("[::1]:8080"), 200);
}

TEST_F(ServeAttack, a_form_or_text_body_is_refused_with_415) {
  test::ServeProcess server("--model " + model());
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string body = R"({"prompt": "12 +", "max_tokens": 2})";
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
    auto r = server.client().Post("/v1/completions", body, type);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 415) << type;
  }
  auto ok = server.client().Post("/v1/completions", body, "application/json; charset=utf-8");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(ServeAttack, the_api_key_comes_from_a_file_or_the_environment) {
  test::TempDir tmp;
  write_file_atomic(tmp.file("key"), "k3y-from-file\n");
  {
    test::ServeProcess server("--model " + model() + " --api-key-file " + tmp.file("key"));
    ASSERT_GT(server.port(), 0) << server.log();
    EXPECT_EQ(server.client().Get("/v1/models")->status, 401);
    EXPECT_EQ(server.client().Get("/v1/models", {{"Authorization", "Bearer k3y-from-file"}})->status, 200);
  }
  setenv("AHA_API_KEY", "k3y-from-env", 1);
  test::ServeProcess server("--model " + model());
  unsetenv("AHA_API_KEY");
  ASSERT_GT(server.port(), 0) << server.log();
  EXPECT_EQ(server.client().Get("/v1/models")->status, 401);
  EXPECT_EQ(server.client().Get("/v1/models", {{"Authorization", "Bearer k3y-from-env"}})->status, 200);
  EXPECT_NE(test::run_aha("serve --model " + model() + " --api-key a --api-key-file " + tmp.file("key")).status, 0);
}

TEST_F(ServeAttack, a_public_address_without_a_key_is_warned_about) {
  const auto [status, out] = test::run_shell(
      fmt::format("timeout -s TERM 3 {} serve --model {} --host 0.0.0.0 --port 0 2>&1", AHA_BINARY, model()));
  EXPECT_NE(out.find("warning: listening on 0.0.0.0 without an API key"), std::string::npos) << out;
}

TEST_F(ServeAttack, what_a_request_may_cost_is_capped_before_it_runs) {
  test::ServeProcess server("--model " + model());
  ASSERT_GT(server.port(), 0) << server.log();
  auto post = [&](const std::string& body) {
    return server.client().Post("/v1/completions", body, "application/json");
  };
  auto long_stop = post(fmt::format(R"({{"prompt": "12", "stop": ["{}"]}})", std::string(300, 'x')));
  ASSERT_TRUE(long_stop);
  EXPECT_EQ(long_stop->status, 400) << long_stop->body;
  // The context is 512 tokens: a prompt of 3 MB cannot fit and is refused before it is tokenized.
  const auto start = Clock::now();
  auto huge = post(fmt::format(R"({{"prompt": "{}"}})", std::string(3 << 20, 'a')));
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 400);
  EXPECT_NE(body_json(huge)["error"]["message"].get<std::string>().find("more than a context"), std::string::npos);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
}

TEST(ServeRequestSize, samples_tokens_and_alternatives_are_capped_together) {
  serve::GenerationParams p;
  p.n = 128;
  p.sampling.top_logprobs = 20;
  p.max_tokens = 200;
  EXPECT_NO_THROW(serve::check_request_size(p, 4096));  // 537,600 records
  p.max_tokens.reset();                                 // the whole context: 11,010,048
  EXPECT_THROW(serve::check_request_size(p, 4096), Error);
  p.max_tokens = int64_t{1} << 40;  // clamped to the context first
  EXPECT_THROW(serve::check_request_size(p, 4096), Error);
  EXPECT_NO_THROW(serve::check_request_size(p, 1024));  // 128 · 1024 · 21 = 2,752,512
}

TEST_F(ServeAttack, a_client_that_expects_100_continue_gets_it_before_sending_the_body) {
  test::ServeProcess server("--model " + model());
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string body = R"({"prompt": "12 +", "max_tokens": 2})";
  const int fd = connect_to(server.port());
  send_all(fd, completion_head(fmt::format("Expect: 100-continue\r\nContent-Length: {}\r\n", body.size())));
  EXPECT_EQ(status_of(read_head(fd)), 100);
  send_all(fd, body);
  EXPECT_EQ(status_of(read_head(fd)), 200);
  close(fd);
}

}  // namespace
}  // namespace aha
