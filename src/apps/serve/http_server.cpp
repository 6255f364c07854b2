#include "apps/serve/http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "aha/base/error.hpp"
#include "apps/serve/response.hpp"

namespace aha::serve::http {
namespace {

constexpr uint64_t kListenId = 0;
constexpr uint64_t kWakeId = ~uint64_t{0};
constexpr size_t kQueuedBytes = size_t{1} << 20;       // a reply's writer waits while this much is unsent
constexpr auto kTick = std::chrono::milliseconds(50);  // how often deadlines are checked

std::string status_line(int status) { return fmt::format("HTTP/1.1 {} {}\r\n", status, reason_phrase(status)); }

std::string fields_text(const Fields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) out += fmt::format("{}: {}\r\n", name, value);
  return out;
}

std::string response_bytes(const Response& r, bool keep_alive) {
  return status_line(r.status) +
         fmt::format("Content-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n", r.content_type, r.body.size(),
                     keep_alive ? "keep-alive" : "close") +
         fields_text(r.fields) + "\r\n" + r.body;
}

// The raised open-file limit that `connections` need (the soft limit is often 1024).
void allow_open_files(int connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(connections) + 256;
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = std::min(wanted, limit.rlim_max);
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

// A connection reads a head, then its body, is answered, and then either reads the next head or
// lingers: it has said its last word and discards what the client still sends (a body it was
// refused), so that closing does not reset the connection before the client reads the answer.
enum class Phase { head, body, answering, lingering };

constexpr auto kLinger = std::chrono::seconds(2);

struct Server::Connection {
  uint64_t id;
  int fd;
  Phase phase = Phase::head;
  bool idle = false;   // kept alive, waiting for the first byte of its next request
  std::string in;      // read and not yet consumed
  size_t scanned = 0;  // bytes of `in` already searched for the end of the head
  std::string out;     // to write
  size_t written = 0;  // of `out`
  Head head;
  Framing framing;
  std::shared_ptr<Reply> reply;
  bool reply_complete = false, close_after = false;
  Clock::time_point deadline, request_start, last_progress;
  size_t request_bytes = 0;
  size_t body_reserved = 0;  // of the server's body budget, while the body is read
  uint32_t events = 0;
};

// ---- Reply ----

void Reply::send(Response response) {
  std::string bytes = response_bytes(response, keep_alive_);
  {
    std::lock_guard lock(mutex_);
    if (started_ || gone_) return;
    started_ = ended_ = true;
    pending_ = std::move(bytes);
  }
  server_->wake(connection_);
}

void Reply::start(int status, const std::string& content_type, const Fields& fields) {
  // An HTTP/1.0 client gets the body delimited by the connection's end instead of chunks.
  std::string bytes = status_line(status) + fmt::format("Content-Type: {}\r\n", content_type) +
                      (chunked_ ? "Transfer-Encoding: chunked\r\n" : "") +
                      (chunked_ && keep_alive_ ? "" : "Connection: close\r\n") + fields_text(fields) + "\r\n";
  {
    std::lock_guard lock(mutex_);
    if (started_ || gone_) return;
    started_ = streamed_ = true;
    pending_ = std::move(bytes);
  }
  server_->wake(connection_);
}

bool Reply::write(std::string_view data) {
  if (data.empty()) return !gone();  // (an empty chunk would end the body)
  {
    std::unique_lock lock(mutex_);
    drained_.wait(lock, [&] { return gone_ || pending_.size() < kQueuedBytes; });
    if (gone_) return false;
    if (chunked_) pending_ += fmt::format("{:x}\r\n", data.size());
    pending_ += data;
    if (chunked_) pending_ += "\r\n";
  }
  server_->wake(connection_);
  return true;
}

void Reply::end() {
  {
    std::lock_guard lock(mutex_);
    if (ended_ || gone_ || !started_) return;
    ended_ = true;
    if (chunked_) pending_ += "0\r\n\r\n";
  }
  server_->wake(connection_);
}

bool Reply::gone() const {
  std::lock_guard lock(mutex_);
  return gone_;
}

std::string Reply::take(bool& last) {
  std::lock_guard lock(mutex_);
  last = ended_;
  std::string out = std::move(pending_);
  pending_.clear();
  drained_.notify_all();
  return out;
}

void Reply::drop() {
  std::lock_guard lock(mutex_);
  gone_ = true;
  pending_.clear();
  drained_.notify_all();
}

// ---- Server: setup ----

Server::Server(Limits limits, Screen screen, Handler handler)
    : limits_(limits), screen_(std::move(screen)), handler_(std::move(handler)) {
  if (limits_.max_connections < 1) fail("the connection limit must be at least 1, got {}", limits_.max_connections);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) fail_internal("cannot create the server's event loop");
  epoll_event ev{.events = EPOLLIN, .data = {.u64 = kWakeId}};
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  allow_open_files(limits_.max_connections);
}

Server::~Server() {
  for (auto& [id, c] : connections_) {
    if (c->reply) c->reply->drop();
    ::close(c->fd);
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

int Server::bind(const std::string& host, int port) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found)
    fail("cannot listen on {}:{}: the address does not resolve", host, port);
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int on = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const bool ok = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 1024) == 0;
  freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    fail("cannot listen on {}:{} (address in use or not available)", host, port);
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  listen_fd_ = fd;
  epoll_event ev{.events = EPOLLIN, .data = {.u64 = kListenId}};
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  return ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void Server::wake(uint64_t connection) {
  {
    std::lock_guard lock(wake_mutex_);
    woken_.push_back(connection);
  }
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Server::stop_accepting() {
  accepting_stop_ = true;
  wake(0);
}

void Server::stop(std::chrono::milliseconds drain) {
  drain_ms_ = drain.count();
  accepting_stop_ = true;
  stopping_ = true;
  wake(0);
}

// ---- Server: the loop ----

void Server::run() {
  std::vector<epoll_event> events(256);
  std::optional<Clock::time_point> drain_deadline;
  bool closed_waiting = false;
  for (;;) {
    const int n =
        epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), static_cast<int>(kTick.count()));
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kListenId) {
        accept_all();
      } else if (id == kWakeId) {
        uint64_t count;
        [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &count, sizeof count);
      } else if (auto it = connections_.find(id); it != connections_.end()) {
        Connection& c = *it->second;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) close(c);
        else if (events[i].events & EPOLLOUT) on_writable(c);
        else if (events[i].events & (EPOLLIN | EPOLLRDHUP)) on_readable(c);
      }
    }
    collect_replies();
    const Clock::time_point now = Clock::now();
    check_deadlines(now);
    if (listen_paused_ && listen_fd_ >= 0) {
      epoll_event ev{.events = EPOLLIN, .data = {.u64 = kListenId}};
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
      listen_paused_ = false;
    }
    if (accepting_stop_ && !closed_waiting) {
      closed_waiting = true;
      if (listen_fd_ >= 0) ::close(listen_fd_);
      listen_fd_ = -1;
      std::vector<Connection*> waiting;
      for (auto& [id, c] : connections_)
        if (c->phase != Phase::answering) waiting.push_back(c.get());
      for (Connection* c : waiting) close(*c);
    }
    if (stopping_) {
      if (!drain_deadline) drain_deadline = now + std::chrono::milliseconds(drain_ms_.load());
      if (connections_.empty() || now >= *drain_deadline) break;
    }
  }
  while (!connections_.empty()) close(*connections_.begin()->second);
}

void Server::accept_all() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    const Clock::time_point now = Clock::now();
    if (fd < 0 && (errno == EMFILE || errno == ENFILE) && make_room(now)) continue;
    if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
      // Out of descriptors with none to free: stop listening for a tick rather than spin.
      epoll_event ev{.events = 0, .data = {.u64 = kListenId}};
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
      listen_paused_ = true;
    }
    if (fd < 0) return;  // EAGAIN, EINTR, a connection reset before it was accepted
    if (static_cast<int>(connections_.size()) >= limits_.max_connections && !make_room(now)) {
      const std::string busy =
          response_bytes({.status = 503, .body = error_json(503, "too many connections; try again later")}, false);
      [[maybe_unused]] const ssize_t w = ::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    auto c = std::make_unique<Connection>();
    c->id = next_id_++;
    c->fd = fd;
    c->deadline = now + limits_.request_timeout;
    c->request_start = c->last_progress = now;
    Connection& ref = *c;
    connections_.emplace(c->id, std::move(c));
    ++open_connections_;
    update_events(ref);
    on_readable(ref);  // a client often sends its request with the connection
  }
}

// At the connection limit: closes the waiting connection that has sent the fewest bytes per
// second of its request so far (idle kept-alive ones first, the oldest first among equals).
// Connections being answered are never closed. Returns false when there is none to close.
bool Server::make_room(Clock::time_point now) {
  Connection* victim = nullptr;
  double victim_rate = 0;
  for (auto& [id, c] : connections_) {
    if (c->phase == Phase::answering) continue;
    const double seconds = std::max(1.0, std::chrono::duration<double>(now - c->request_start).count());
    const double rate = static_cast<double>(c->request_bytes) / seconds;
    if (!victim || rate < victim_rate || (rate == victim_rate && c->request_start < victim->request_start)) {
      victim = c.get();
      victim_rate = rate;
    }
  }
  if (victim) close(*victim);
  return victim != nullptr;
}

void Server::on_readable(Connection& c) {
  // While a request is answered only the client's leaving matters (EPOLLRDHUP); bytes it sends
  // meanwhile (a pipelined request) wait in the socket.
  if (c.phase == Phase::answering) return close(c);
  char buffer[16384];
  for (;;) {
    const size_t room = c.phase == Phase::lingering ? sizeof buffer
                        : c.phase == Phase::head
                            ? limits_.max_head_bytes + 1 - std::min(c.in.size(), limits_.max_head_bytes + 1)
                            : c.framing.content_length - std::min(c.in.size(), c.framing.content_length);
    if (room == 0) break;
    const ssize_t n = recv(c.fd, buffer, std::min(room, sizeof buffer), 0);
    if (n == 0) return close(c);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      return close(c);
    }
    if (c.phase == Phase::lingering) continue;  // discarded
    if (c.idle) {                               // the first byte of a kept-alive connection's next request
      c.idle = false;
      c.request_start = Clock::now();
      c.deadline = c.request_start + limits_.request_timeout;
    }
    c.in.append(buffer, static_cast<size_t>(n));
    c.request_bytes += static_cast<size_t>(n);
  }
  if (c.phase == Phase::head && !read_head(c)) return;
  if (c.phase == Phase::body) read_body(c);
}

// Reads the head once it is complete; returns whether the connection goes on to its body.
bool Server::read_head(Connection& c) {
  const size_t from = c.scanned > 3 ? c.scanned - 3 : 0;
  const size_t end = head_end(std::string_view(c.in).substr(from));
  c.scanned = c.in.size();
  if (end == std::string_view::npos) {
    if (c.in.size() > limits_.max_head_bytes)
      refuse(c, {431, fmt::format("the request head is larger than {} bytes", limits_.max_head_bytes)});
    return false;
  }
  const size_t head_size = from + end;
  if (head_size > limits_.max_head_bytes) {
    refuse(c, {431, fmt::format("the request head is larger than {} bytes", limits_.max_head_bytes)});
    return false;
  }
  if (auto refusal = parse_head(std::string_view(c.in).substr(0, head_size), c.head)) {
    refuse(c, *refusal);
    return false;
  }
  if (auto refusal = body_framing(c.head, limits_.max_body_bytes, c.framing)) {
    refuse(c, *refusal);
    return false;
  }
  if (std::optional<Response> answer = screen_(c.head)) {
    // The body is not read: the connection cannot carry another request after it.
    answer_now(c, *answer, c.framing.keep_alive && c.framing.content_length == 0);
    return false;
  }
  if (body_bytes_reading_ + c.framing.content_length > limits_.max_body_bytes_reading) {
    answer_now(c, {.status = 503, .body = error_json(503, "too many request bodies are arriving at once; try again")},
               false);
    return false;
  }
  c.body_reserved = c.framing.content_length;
  body_bytes_reading_ += c.body_reserved;
  c.in.erase(0, head_size);
  c.scanned = 0;
  if (c.framing.expect_continue) {
    c.out += "HTTP/1.1 100 Continue\r\n\r\n";
    update_events(c);
  }
  c.phase = Phase::body;
  c.deadline = Clock::now() + limits_.request_timeout;
  return true;
}

void Server::read_body(Connection& c) {
  if (c.in.size() < c.framing.content_length) return;
  Request request{std::move(c.head), c.in.substr(0, c.framing.content_length)};
  c.in.erase(0, c.framing.content_length);
  release_body(c);
  dispatch(c, std::move(request));
}

void Server::dispatch(Connection& c, Request&& request) {
  c.phase = Phase::answering;
  c.reply_complete = false;
  c.reply.reset(new Reply(this, c.id, c.framing.keep_alive, request.head.minor_version == 1));
  c.last_progress = Clock::now();
  update_events(c);
  handler_(std::move(request), c.reply);
}

// Answers `refusal` at once and closes the connection once it is written.
void Server::refuse(Connection& c, const Refusal& refusal) {
  answer_now(c, {.status = refusal.status, .body = error_json(refusal.status, refusal.message)}, false);
}

void Server::answer_now(Connection& c, const Response& response, bool keep_alive) {
  c.phase = Phase::answering;
  c.reply.reset();
  c.reply_complete = true;
  c.close_after = !keep_alive;
  c.out += response_bytes(response, keep_alive);
  c.last_progress = Clock::now();
  on_writable(c);
}

void Server::collect_replies() {
  std::vector<uint64_t> woken;
  {
    std::lock_guard lock(wake_mutex_);
    woken.swap(woken_);
  }
  std::sort(woken.begin(), woken.end());
  woken.erase(std::unique(woken.begin(), woken.end()), woken.end());
  for (uint64_t id : woken) {
    auto it = connections_.find(id);
    if (it == connections_.end() || !it->second->reply) continue;
    Connection& c = *it->second;
    if (c.out.size() - c.written >= kQueuedBytes) continue;  // on_writable asks again once it drains
    bool last = false;
    c.out += c.reply->take(last);
    if (last) {
      c.reply_complete = true;
      c.close_after = c.close_after || c.reply->closes_connection();
    }
    on_writable(c);
  }
}

void Server::on_writable(Connection& c) {
  while (c.written < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      return close(c);
    }
    c.written += static_cast<size_t>(n);
    c.last_progress = Clock::now();
  }
  if (c.written == c.out.size()) {
    c.out.clear();
    c.written = 0;
    if (c.phase == Phase::answering && c.reply_complete) return after_response(c);
    if (c.reply) {  // room again for what the reply's writer has queued meanwhile
      std::lock_guard lock(wake_mutex_);
      woken_.push_back(c.id);
    }
  }
  update_events(c);
}

void Server::after_response(Connection& c) {
  c.reply.reset();
  if (accepting_stop_) return close(c);
  if (c.close_after) {
    shutdown(c.fd, SHUT_WR);
    c.phase = Phase::lingering;
    c.in.clear();
    c.deadline = Clock::now() + kLinger;
    return update_events(c);
  }
  c.phase = Phase::head;
  c.close_after = false;
  c.idle = c.in.empty();
  c.request_bytes = c.in.size();
  c.request_start = Clock::now();
  c.deadline =
      c.request_start + (c.idle ? std::min(limits_.keep_alive_idle, limits_.request_timeout) : limits_.request_timeout);
  update_events(c);
  if (!c.in.empty()) on_readable(c);  // a pipelined request
}

void Server::check_deadlines(Clock::time_point now) {
  std::vector<Connection*> late, timed_out;
  for (auto& [id, c] : connections_) {
    if (c->phase != Phase::answering && now >= c->deadline)
      (c->idle || c->phase == Phase::lingering ? late : timed_out).push_back(c.get());
    else if (c->written < c->out.size() && now - c->last_progress >= limits_.write_timeout) late.push_back(c.get());
  }
  for (Connection* c : late) close(*c);
  for (Connection* c : timed_out) {
    // One try to say why; a client that does not read it is closed anyway.
    const std::string bytes =
        response_bytes({.status = 408, .body = error_json(408, "the request did not arrive in time")}, false);
    [[maybe_unused]] const ssize_t n = ::send(c->fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    close(*c);
  }
}

void Server::release_body(Connection& c) {
  body_bytes_reading_ -= c.body_reserved;
  c.body_reserved = 0;
}

void Server::close(Connection& c) {
  release_body(c);
  if (c.reply) c.reply->drop();
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  ::close(c.fd);
  --open_connections_;
  connections_.erase(c.id);  // destroys c
}

void Server::update_events(Connection& c) {
  uint32_t wanted = EPOLLRDHUP;
  if (c.written < c.out.size()) wanted |= EPOLLOUT;
  else if (c.phase != Phase::answering) wanted |= EPOLLIN;
  if (wanted == c.events) return;
  epoll_event ev{.events = wanted, .data = {.u64 = c.id}};
  epoll_ctl(epoll_fd_, c.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev);
  c.events = wanted;
}

}  // namespace aha::serve::http
