// A bounded load test of `aha serve` on loopback: 16 concurrent connections send a fixed number
// of requests. No request may fail, the server's resident memory at the end must be within 10%
// of its value after warm-up, and the aggregate token rate is printed beside the rate of one
// request at a time (continuous batching at work; at least 3x on an idle machine).
//
// The model is the one `aha demo --quick` trains (run here). Every request asks for exactly
// kMaxTokens tokens (`ignore_eos`, llama.cpp's extension, so that no sample ends early), half of
// them streamed.
#include <gtest/gtest.h>

#include <cstdlib>

#include <atomic>

#include "serve/serve_fixture.hpp"

namespace aha {
namespace {

// Rounds long enough (about a second of load on 2 cores) that one scheduling hiccup on a shared
// machine does not decide the rate.
constexpr int kConnections = 16, kRequestsPerConnection = 8, kSingleRequests = 16, kMaxTokens = 128;

// Sends one chat request; returns its completion tokens, or -1 when it failed.
int64_t one_request(httplib::Client& client, int seed) {
  const Json body = {{"model", "load"},
                     {"messages", {{{"role", "user"}, {"content", "What is 12 + 7?"}}}},
                     {"max_tokens", kMaxTokens},
                     {"ignore_eos", true},
                     {"seed", seed},
                     {"stream", seed % 2 == 0},
                     {"stream_options", {{"include_usage", true}}}};
  const auto t0 = std::chrono::steady_clock::now();
  auto r = client.Post("/v1/chat/completions", body.dump(), "application/json");
  if (!r || r->status != 200) {
    std::fprintf(stderr, "request %d failed after %.2f s: %s\n", seed,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                 r ? fmt::format("HTTP {} {}", r->status, r->body).c_str() : httplib::to_string(r.error()).c_str());
    return -1;
  }
  if (seed % 2 != 0) return test::body_json(r)["usage"]["completion_tokens"].get<int64_t>();
  // Streamed: the usage chunk comes last before [DONE].
  const std::vector<std::string> events = test::sse_data(r->body);
  if (events.size() < 2 || events.back() != "[DONE]") return -1;
  return Json::parse(events[events.size() - 2])["usage"]["completion_tokens"].get<int64_t>();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(ServeLoad, sixteen_connections_no_failures_steady_memory_and_batched_throughput) {
  test::TempDir dir;
  const std::string model = test::demo_quick_model(dir);
  ASSERT_FALSE(model.empty());
  test::ServeProcess server("--model " + model + " --parallel 16");
  ASSERT_GT(server.port(), 0) << server.log();

  // Warm-up: one full load round, so that every buffer (and each handler thread's malloc
  // arena) the load needs exists.
  auto round = [&](int connections, int per_connection, int seed_base) {
    std::atomic<int64_t> tokens{0}, failures{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < connections; ++c)
      threads.emplace_back([&, c] {
        httplib::Client client = server.client();
        for (int i = 0; i < per_connection; ++i) {
          const int64_t n = one_request(client, seed_base + c * per_connection + i);
          if (n < 0) ++failures;
          else tokens += n;
        }
      });
    for (auto& t : threads) t.join();
    return std::pair<int64_t, int64_t>{tokens, failures};
  };
  ASSERT_EQ(round(kConnections, kRequestsPerConnection, 1000).second, 0);
  const long rss_warm = server.rss_kib();

  // One request at a time (16 requests), and the load (16 connections, 8 requests each), twice, interleaved:
  // the best of each is kept, since other work on a shared machine slows either at random.
  double single_rate = 0, rate = 0, load_seconds = 0;
  int64_t tokens = 0, failures = 0;
  for (int repeat = 0; repeat < 2; ++repeat) {
    auto start = std::chrono::steady_clock::now();
    auto [single_tokens, single_failures] = round(1, kSingleRequests, 2000 + 100 * repeat);
    single_rate = std::max(single_rate, static_cast<double>(single_tokens) / seconds_since(start));
    failures += single_failures;
    start = std::chrono::steady_clock::now();
    auto [load_tokens, load_failures] = round(kConnections, kRequestsPerConnection, 3000 + 100 * repeat);
    const double seconds = seconds_since(start);
    if (static_cast<double>(load_tokens) / seconds > rate) {
      rate = static_cast<double>(load_tokens) / seconds;
      load_seconds = seconds;
      tokens = load_tokens;
    }
    failures += load_failures;
  }
  const long rss_end = server.rss_kib();

  std::printf(
      "serve load: %d requests on %d connections in %.2f s, %lld tokens, %.1f tokens/s aggregate; "
      "one at a time %.1f tokens/s (best of 2 each); ratio %.2f; RSS after warm-up %ld KiB, at the end %ld KiB "
      "(%+.1f%%)\n",
      kConnections * kRequestsPerConnection, kConnections, load_seconds, static_cast<long long>(tokens), rate,
      single_rate, rate / single_rate, rss_warm, rss_end, 100.0 * (rss_end - rss_warm) / rss_warm);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(tokens, int64_t{kConnections} * kRequestsPerConnection * kMaxTokens);  // every request ran to max_tokens
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer keeps freed memory in quarantine, so resident memory grows by design there.
  (void)rss_end;
#else
  EXPECT_LE(rss_end, rss_warm * 11 / 10);
#endif
  // Wall-clock rates mean something only when this test has the cores to itself, which the
  // default suite (ctest -j2, beside other tests) does not give it: the ratio is printed above,
  // and checked only when AHA_SERVE_SPEED_CHECK=1 asks for it on an otherwise idle machine.
  const char* check = std::getenv("AHA_SERVE_SPEED_CHECK");
  if (check && std::string(check) == "1") {
    EXPECT_GE(rate, 3.0 * single_rate);
  }
}

}  // namespace
}  // namespace aha
