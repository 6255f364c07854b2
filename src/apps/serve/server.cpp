#include "apps/serve/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <thread>

#include "aha/base/error.hpp"
#include "aha/generate/reasoning.hpp"
#include "aha/io/generation_config.hpp"
#include "aha/tokenizer/model_files.hpp"
#include "apps/serve/http_server.hpp"
#include "apps/serve/request.hpp"
#include "apps/serve/response.hpp"
#include "apps/serve/scheduler.hpp"

namespace aha::serve {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);     // how often a worker checks its client
constexpr auto kDrain = std::chrono::milliseconds(1000);  // after the grace: time to write the last answers

tokenizer::Tokenizer require_tokenizer(const std::string& dir) {
  std::optional<tokenizer::Tokenizer> tok = tokenizer::load_model_tokenizer(dir);
  if (!tok) fail("{}: no tokenizer.json; aha serve needs one", dir);
  return std::move(*tok);
}

std::string directory_name(const std::string& dir) {
  std::filesystem::path p(dir);
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

std::string random_id(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}{:016x}{:04x}", prefix, rng(), counter++ & 0xffff);
}

http::Response error_response(int status, const std::string& message, http::Fields fields = {}) {
  return {.status = status, .body = error_json(status, message), .fields = std::move(fields)};
}

// The bytes a prompt of `ctx_size` tokens can hold at most: every token's text is at most the
// longest token's, twice over for normalizers that shorten text. Longer prompts are refused
// before they are tokenized.
size_t max_prompt_bytes(const tokenizer::Tokenizer& tok, int64_t ctx_size) {
  size_t longest = 16;
  for (int32_t id = 0; id < tok.vocab_size(); ++id) {
    try {
      longest = std::max(longest, 2 * tok.decode_bytes(std::vector<int32_t>{id}).size());
    } catch (const Error&) {  // a gap in the ids
    }
  }
  return longest * static_cast<size_t>(ctx_size);
}

// The host of a Host field ("localhost:8080", "[::1]:8080", "127.0.0.1").
std::string host_name(const std::string& field) {
  if (!field.empty() && field[0] == '[') return field.substr(1, field.find(']') - 1);
  return field.substr(0, field.rfind(':') == std::string::npos ? field.size() : field.rfind(':'));
}

// A prepared completion: the engine request and what the response needs to know.
struct Prepared {
  generate::Request request;
  GenerationParams params;
  ResponseInfo info;
};

enum class Route { health, models, chat, text, none };

Route route_of(const std::string& path) {
  if (path == "/health") return Route::health;
  if (path == "/v1/models") return Route::models;
  if (path == "/v1/chat/completions") return Route::chat;
  if (path == "/v1/completions") return Route::text;
  return Route::none;
}

}  // namespace

// Threads that prepare and answer completions, one request each at a time.
class CompletionWorkers {
 public:
  explicit CompletionWorkers(size_t count) {
    for (size_t i = 0; i < count; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~CompletionWorkers() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

bool is_loopback(const std::string& host) {
  // Addresses are read as addresses: "127.0.0.1.attacker.example" is a name, and not this machine's.
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return host == "localhost";
}

struct Server::Impl {
  ServerOptions options;
  std::string name;
  model::Model model;
  tokenizer::Tokenizer tok;
  std::optional<tokenizer::ChatTemplate> chat_template;
  std::string template_error;  // why there is no chat template
  std::vector<int32_t> eos;
  Scheduler scheduler;
  size_t prompt_bytes_limit;
  const int64_t capacity;            // completions running or waiting at most (parallel + queue)
  std::atomic<int64_t> admitted{0};  // completions admitted and not yet answered
  std::atomic<bool> stopping{false};
  std::mutex shutdown_mutex;
  http::Server http;
  std::optional<CompletionWorkers> workers;  // last: joined first

  explicit Impl(ServerOptions o)
      : options(std::move(o)),
        name(directory_name(options.model)),
        model(options.model, options.dtype),
        tok(require_tokenizer(options.model)),
        scheduler(model, &tok, {.parallel = options.parallel, .ctx_size = options.ctx_size, .queue = options.queue}),
        prompt_bytes_limit(max_prompt_bytes(tok, scheduler.ctx_size())),
        capacity(options.parallel + options.queue),
        http(
            {.max_body_bytes = options.max_body_bytes,
             .request_timeout = options.read_timeout,
             .keep_alive_idle = std::min(options.read_timeout, std::chrono::milliseconds(5000)),
             .max_connections = options.max_connections},
            [this](const http::Head& head) { return screen(head); },
            [this](http::Request&& request, std::shared_ptr<http::Reply> reply) {
              handle(std::move(request), std::move(reply));
            }) {
    try {
      chat_template = tokenizer::load_model_chat_template(options.model, options.chat_template);
    } catch (const Error& e) {
      if (!options.chat_template.empty()) throw;
      template_error = e.what();
    }
    for (int64_t id : io::eos_token_ids(options.model, model.config())) eos.push_back(static_cast<int32_t>(id));
    workers.emplace(static_cast<size_t>(capacity));
  }

  bool authorized(const http::Head& head) const;
  std::optional<http::Response> screen(const http::Head& head);
  void handle(http::Request&& request, std::shared_ptr<http::Reply> reply);
  Prepared prepare(const std::string& body, Endpoint endpoint) const;
  void check_prompt_bytes(size_t bytes) const {
    if (bytes > prompt_bytes_limit)
      fail("the prompt is {} bytes: more than a context of {} tokens can hold", bytes, scheduler.ctx_size());
  }
  void complete(const std::string& body, Endpoint endpoint, http::Reply& reply);
  http::Response health() const;
  http::Response models() const;
};

bool Server::Impl::authorized(const http::Head& head) const {
  if (options.api_key.empty()) return true;
  const std::string expected = "Bearer " + options.api_key;
  const std::string* header = head.header("authorization");
  const std::string given = header ? *header : "";
  // Constant-time comparison: the time taken does not say how much of the key matched.
  unsigned diff = given.size() == expected.size() ? 0u : 1u;
  for (size_t i = 0; i < given.size() && i < expected.size(); ++i)
    diff |= static_cast<unsigned>(given[i] ^ expected[i]);
  return diff == 0;
}

// Decides on a request from its head alone, before its body is read or anything is allocated
// for it: routing, the Host check, the API key, the media type and admission.
std::optional<http::Response> Server::Impl::screen(const http::Head& head) {
  // Bound to loopback, only requests that name a loopback host are served: a web page the user
  // visits cannot reach the server through a DNS name that resolves to 127.0.0.1 (rebinding).
  if (is_loopback(options.host)) {
    const std::string* host = head.header("host");
    if (host && !is_loopback(host_name(*host)))
      return error_response(
          403, fmt::format("the Host '{}' is not this server's (it listens on {} only)", *host, options.host));
  }
  const Route route = route_of(head.path);
  if (route == Route::none) return error_response(404, fmt::format("no such endpoint: {} {}", head.method, head.path));
  const bool post = route == Route::chat || route == Route::text;
  if (head.method != (post ? "POST" : "GET") && !(head.method == "HEAD" && !post))
    return error_response(405, fmt::format("{} takes {} requests", head.path, post ? "POST" : "GET"),
                          {{"Allow", post ? "POST" : "GET, HEAD"}});
  if (route != Route::health && !authorized(head))
    return error_response(401, "invalid or missing API key: send the header 'Authorization: Bearer KEY'");
  if (!post) return std::nullopt;
  const std::string* type = head.header("content-type");
  const std::string media = type ? type->substr(0, type->find(';')) : "";
  if (media.find_first_not_of(' ') == std::string::npos ||
      std::string(media.begin(), std::find(media.begin(), media.end(), ' ')) != "application/json")
    return error_response(415, "the request body must be sent as Content-Type: application/json");
  if (stopping) return error_response(503, "the server is shutting down");
  if (admitted >= capacity)
    return error_response(429, fmt::format("the server is busy: {} requests are already waiting", options.queue));
  return std::nullopt;
}

Prepared Server::Impl::prepare(const std::string& body, Endpoint endpoint) const {
  const OrderedJson json = parse_body(body);
  Prepared p;
  std::string prompt_text;
  if (endpoint == Endpoint::chat) {
    ChatRequest chat = parse_chat_request(json);
    check_request_size(chat.params, scheduler.ctx_size());
    if (!chat_template) fail("{}", template_error);
    prompt_text = chat_template->render(chat.messages, true, chat.template_kwargs);
    check_prompt_bytes(prompt_text.size());
    p.request.prompt = tok.encode(prompt_text, false);
    p.params = std::move(chat.params);
  } else {
    CompletionRequest text = parse_completion_request(json);
    check_request_size(text.params, scheduler.ctx_size());
    if (text.prompt_text) check_prompt_bytes(text.prompt_text->size());
    p.request.prompt = text.prompt_text ? tok.encode(*text.prompt_text, true) : text.prompt_ids;
    p.params = std::move(text.params);
  }
  p.request.sampling = p.params.sampling;
  p.request.sampling.seed = p.params.seed ? *p.params.seed : std::random_device{}();
  p.request.n = p.params.n;
  // Without max_tokens a completion may use the rest of the context; with it, the engine clamps
  // it to what the context leaves after the prompt.
  p.request.max_tokens = p.params.max_tokens.value_or(scheduler.ctx_size());
  if (!p.params.ignore_eos) p.request.eos_ids = eos;
  const bool chat = endpoint == Endpoint::chat;
  p.info = {.endpoint = endpoint,
            .id = random_id(chat ? "chatcmpl-" : "cmpl-"),
            .created = static_cast<int64_t>(std::time(nullptr)),
            .model = p.params.model.empty() ? name : p.params.model,
            .n = p.params.n,
            .prompt_tokens = static_cast<int64_t>(p.request.prompt.size()),
            .logprobs = p.params.logprobs,
            .include_usage = p.params.include_usage,
            .opens_reasoning = chat && generate::prompt_opens_reasoning(prompt_text)};
  return p;
}

http::Response Server::Impl::health() const {
  // /health also says how busy the server is: requests submitted and not finished, tokens so far.
  const OrderedJson health = {{"status", stopping ? "shutting down" : "ok"},
                              {"requests_active", scheduler.active_jobs()},
                              {"tokens_generated", scheduler.tokens_generated()},
                              {"connections", http.connections()}};
  return {.status = stopping ? 503 : 200, .body = health.dump()};
}

http::Response Server::Impl::models() const {
  OrderedJson entry = {{"id", name},
                       {"object", "model"},
                       {"created", 0},
                       {"owned_by", "aha"},
                       {"meta", {{"n_ctx", scheduler.ctx_size()}, {"n_vocab", model.config().vocab_size}}}};
  return {.body = OrderedJson{{"object", "list"}, {"data", {entry}}}.dump()};
}

void Server::Impl::handle(http::Request&& request, std::shared_ptr<http::Reply> reply) {
  const Route route = route_of(request.head.path);
  if (route == Route::health || route == Route::models) {
    http::Response r = route == Route::health ? health() : models();
    if (request.head.method == "HEAD") r.body.clear();
    return reply->send(std::move(r));
  }
  // Admitted here for good (screen() only looked): a request that would exceed the capacity
  // gets 429 before its body is parsed.
  if (++admitted > capacity) {
    --admitted;
    return reply->send(
        error_response(429, fmt::format("the server is busy: {} requests are already waiting", options.queue)));
  }
  const Endpoint endpoint = route == Route::chat ? Endpoint::chat : Endpoint::text;
  workers->post([this, body = std::move(request.body), endpoint, reply] {
    try {
      complete(body, endpoint, *reply);
    } catch (const std::exception& e) {
      reply->send(error_response(500, fmt::format("internal error: {}", e.what())));
    }
    reply->end();
    --admitted;
  });
}

void Server::Impl::complete(const std::string& body, Endpoint endpoint, http::Reply& reply) {
  std::shared_ptr<Job> job;
  std::optional<ResponseWriter> writer;
  bool stream = false;
  try {
    Prepared p = prepare(body, endpoint);
    stream = p.params.stream;
    writer.emplace(p.info, tok);
    job = scheduler.submit(std::move(p.request), p.params.stop, stream);
  } catch (const Error& e) {
    return reply.send(error_response(e.kind() == ErrorKind::internal ? 500 : 400, e.what()));
  } catch (const QueueFull&) {
    return reply.send(
        error_response(429, fmt::format("the server is busy: {} requests are already waiting", options.queue)));
  } catch (const ShuttingDown&) {
    return reply.send(error_response(503, "the server is shutting down"));
  }
  // The answer starts at once (a stream's headers; a whole response's status), so that the
  // client knows it was accepted; the worker then waits for tokens and cancels the job when
  // the client has gone.
  reply.start(200, stream ? "text/event-stream" : "application/json",
              stream ? http::Fields{{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}} : http::Fields{});
  std::vector<Delta> deltas;
  for (bool more = true; more;) {
    deltas.clear();
    more = job->next(deltas, kPoll);
    if (reply.gone()) return job->cancel();
    if (!stream) {
      writer->add(deltas);
    } else if (!reply.write(writer->events(deltas))) {
      return job->cancel();
    }
  }
  if (stream) reply.write(writer->end_events());
  else writer->write_json([&](const std::string& piece) { return reply.write(piece); });
}

Server::Server(ServerOptions options) {
  if (options.parallel < 1 || options.parallel > 1024)
    fail("--parallel must be from 1 to 1024, got {}", options.parallel);
  if (options.queue < 0 || options.queue > 4096)
    fail("the waiting queue must be from 0 to 4096, got {}", options.queue);
  if (options.port < 0 || options.port > 65535) fail("--port must be from 0 to 65535, got {}", options.port);
  impl_ = std::make_unique<Impl>(std::move(options));
}

Server::~Server() {
  if (!impl_) return;
  impl_->scheduler.shutdown(std::chrono::milliseconds(0));
  impl_->workers.reset();
}

int Server::bind() { return impl_->http.bind(impl_->options.host, impl_->options.port); }

void Server::listen() { impl_->http.run(); }

void Server::shutdown() {
  std::lock_guard lock(impl_->shutdown_mutex);
  if (impl_->stopping.exchange(true)) return;
  // No new connections; those still sending a request are closed. Running requests finish (or
  // are cancelled when the grace period ends, their clients then get the end of the answer) and
  // the last answers are written before the event loop ends.
  impl_->http.stop_accepting();
  impl_->scheduler.shutdown(impl_->options.shutdown_grace);
  impl_->http.stop(kDrain);
}

const std::string& Server::model_name() const { return impl_->name; }

const std::string& Server::missing_chat_template() const { return impl_->template_error; }

}  // namespace aha::serve
