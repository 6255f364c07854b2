// The server's HTTP/1.1 layer: one event-loop thread (epoll) holds every connection, so a slow or
// idle client costs a socket and a small buffer, never a thread. It enforces what a server facing
// the internet needs before any application code runs:
//
// - a whole-request deadline: the head must arrive within `request_timeout` of the connection
//   opening (or of the previous response on a kept-alive connection, which may idle at most
//   `keep_alive_idle` before its next request begins), and the body within `request_timeout` of
//   the head — however the bytes trickle in;
// - a head of at most `max_head_bytes` (431 beyond), bodies framed by Content-Length only and at
//   most `max_body_bytes` (chunked: 411, compressed: 415, larger: 413, decided before reading it),
//   and at most `max_body_bytes_reading` of bodies received at once (503 beyond);
// - at most `max_connections` connections: at the limit a new one replaces the waiting connection
//   (not yet answered) that has sent the fewest bytes per second, so a crowd of trickling clients
//   cannot keep /health or a real request out;
// - a response that makes no progress towards its client for `write_timeout` is dropped.
//
// The application screens each head before its body is read (authentication, routing, admission)
// and then gets the request with a Reply through which any thread may answer, at once or streamed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "apps/serve/http_head.hpp"

namespace aha::serve::http {

struct Limits {
  size_t max_head_bytes = 16 * 1024;
  size_t max_body_bytes = size_t{4} << 20;
  size_t max_body_bytes_reading = size_t{64} << 20;  // bodies being received together at most (503 beyond)
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds keep_alive_idle{5000};
  std::chrono::milliseconds write_timeout{30000};
  int max_connections = 512;
};

using Fields = std::vector<std::pair<std::string, std::string>>;

// A complete response.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Fields fields = {};
};

struct Request {
  Head head;
  std::string body;
};

class Server;

// The answering side of one request, shared by the event loop and whichever thread answers.
// Thread-safe. Either send() once, or start() then write() any number of times and end().
class Reply {
 public:
  void send(Response response);
  void start(int status, const std::string& content_type, const Fields& fields = {});
  // Queues `data`; waits while more than a megabyte is queued for the client. Returns false once
  // the client is gone (then nothing more is sent).
  bool write(std::string_view data);
  void end();
  // Whether the client has gone (closed, timed out, or the server stopped).
  bool gone() const;

 private:
  friend class Server;
  Reply(Server* server, uint64_t connection, bool keep_alive, bool chunked)
      : server_(server), connection_(connection), keep_alive_(keep_alive), chunked_(chunked) {}
  // Whether the connection ends with this response (asked by the client, or a body of HTTP/1.0
  // delimited by the connection's end).
  bool closes_connection() const { return !keep_alive_ || (streamed_ && !chunked_); }
  // Loop thread: takes what is queued; `last` says whether the response is complete.
  std::string take(bool& last);
  void drop();  // loop thread: the client is gone

  Server* server_;
  const uint64_t connection_;
  const bool keep_alive_, chunked_;
  mutable std::mutex mutex_;
  std::condition_variable drained_;
  std::string pending_;
  bool started_ = false, streamed_ = false, ended_ = false, gone_ = false;
};

class Server {
 public:
  // Called on the loop thread once a head has arrived, before its body is read: an answer (401,
  // 404, 429, ...) refuses the request, nullopt lets its body be read.
  using Screen = std::function<std::optional<Response>(const Head&)>;
  // Called on the loop thread with the whole request; must not block (hand slow work to another
  // thread, which answers through the Reply).
  using Handler = std::function<void(Request&&, std::shared_ptr<Reply>)>;

  Server(Limits limits, Screen screen, Handler handler);
  ~Server();

  // Binds `host`:`port` (0: any free port); returns the port. Throws aha::Error when it cannot.
  int bind(const std::string& host, int port);
  // Runs the event loop until stop() has finished; call bind() first.
  void run();
  // From any thread: closes the listening socket and every connection that is not being answered.
  void stop_accepting();
  // From any thread: waits up to `drain` for the answers in progress to be written, then closes
  // every connection and ends run().
  void stop(std::chrono::milliseconds drain);

  // Connections open now (for /health and tests).
  int64_t connections() const { return open_connections_; }

 private:
  friend class Reply;
  struct Connection;
  using Clock = std::chrono::steady_clock;

  void wake(uint64_t connection);  // any thread: the connection's reply has something to send
  void accept_all();
  bool make_room(Clock::time_point now);
  void on_readable(Connection& c);
  void on_writable(Connection& c);
  bool read_head(Connection& c);
  void read_body(Connection& c);
  void dispatch(Connection& c, Request&& request);
  void refuse(Connection& c, const Refusal& refusal);
  void answer_now(Connection& c, const Response& response, bool keep_alive);
  void collect_replies();
  void after_response(Connection& c);
  void check_deadlines(Clock::time_point now);
  void close(Connection& c);
  void release_body(Connection& c);
  void update_events(Connection& c);

  Limits limits_;
  Screen screen_;
  Handler handler_;
  int listen_fd_ = -1, epoll_fd_ = -1, wake_fd_ = -1;
  uint64_t next_id_ = 1;
  size_t body_bytes_reading_ = 0;  // Content-Length of the bodies being read (loop thread)
  bool listen_paused_ = false;     // out of descriptors: accepting waits a tick
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;  // loop thread only
  std::atomic<int64_t> open_connections_{0};
  std::mutex wake_mutex_;
  std::vector<uint64_t> woken_;  // connections whose replies have news, under wake_mutex_
  std::atomic<bool> accepting_stop_{false}, stopping_{false};
  std::atomic<int64_t> drain_ms_{0};
};

}  // namespace aha::serve::http
