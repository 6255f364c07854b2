#include "apps/serve/server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <optional>
#include <random>

#include "aha/base/error.hpp"
#include "aha/generate/reasoning.hpp"
#include "aha/io/generation_config.hpp"
#include "aha/tokenizer/model_files.hpp"
#include "apps/serve/request.hpp"
#include "apps/serve/response.hpp"
#include "apps/serve/scheduler.hpp"

namespace aha::serve {

// cpp-httplib listens with a backlog of 5 connections: clients that connect together beyond
// that (16 at once under load) can be reset. A second listen() on the bound socket widens it.
class HttpServer : public httplib::Server {
 public:
  void widen_backlog(int connections) { ::listen(svr_sock_, connections); }
};

namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);  // how often a waiting handler checks its client

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

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(error_json(status, message), "application/json");
}

// A prepared completion: the engine request and what the response needs to know.
struct Prepared {
  generate::Request request;
  GenerationParams params;
  ResponseInfo info;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::string name;
  model::Model model;
  tokenizer::Tokenizer tok;
  std::optional<tokenizer::ChatTemplate> chat_template;
  std::string template_error;  // why there is no chat template
  std::vector<int32_t> eos;
  Scheduler scheduler;
  HttpServer http;
  std::atomic<int64_t> open_responses{0};
  std::atomic<bool> stopping{false};
  std::mutex shutdown_mutex;

  explicit Impl(ServerOptions o)
      : options(std::move(o)),
        name(directory_name(options.model)),
        model(options.model, options.dtype),
        tok(require_tokenizer(options.model)),
        scheduler(model, &tok, {.parallel = options.parallel, .ctx_size = options.ctx_size, .queue = options.queue}) {
    try {
      chat_template = tokenizer::load_model_chat_template(options.model, options.chat_template);
    } catch (const Error& e) {
      if (!options.chat_template.empty()) throw;
      template_error = e.what();
    }
    for (int64_t id : io::eos_token_ids(options.model, model.config())) eos.push_back(static_cast<int32_t>(id));
    routes();
  }

  void routes();
  bool authorized(const httplib::Request& req) const;
  Prepared prepare(const std::string& body, Endpoint endpoint) const;
  void complete(const httplib::Request& req, httplib::Response& res, Endpoint endpoint);
};

bool Server::Impl::authorized(const httplib::Request& req) const {
  if (options.api_key.empty()) return true;
  const std::string expected = "Bearer " + options.api_key;
  const std::string given = req.get_header_value("Authorization");
  // Constant-time comparison: the time taken does not say how much of the key matched.
  unsigned diff = given.size() == expected.size() ? 0u : 1u;
  for (size_t i = 0; i < given.size() && i < expected.size(); ++i)
    diff |= static_cast<unsigned>(given[i] ^ expected[i]);
  return diff == 0;
}

Prepared Server::Impl::prepare(const std::string& body, Endpoint endpoint) const {
  const OrderedJson json = parse_body(body);
  Prepared p;
  std::string prompt_text;
  if (endpoint == Endpoint::chat) {
    ChatRequest chat = parse_chat_request(json);
    if (!chat_template) fail("{}", template_error);
    prompt_text = chat_template->render(chat.messages, true, chat.template_kwargs);
    p.request.prompt = tok.encode(prompt_text, false);
    p.params = std::move(chat.params);
  } else {
    CompletionRequest text = parse_completion_request(json);
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

void Server::Impl::complete(const httplib::Request& req, httplib::Response& res, Endpoint endpoint) {
  std::shared_ptr<Job> job;
  std::shared_ptr<ResponseWriter> writer;
  bool stream = false;
  try {
    Prepared p = prepare(req.body, endpoint);
    stream = p.params.stream;
    writer = std::make_shared<ResponseWriter>(p.info, tok);
    job = scheduler.submit(std::move(p.request), p.params.stop, stream);
  } catch (const Error& e) {
    return send_error(res, e.kind() == ErrorKind::internal ? 500 : 400, e.what());
  } catch (const QueueFull&) {
    return send_error(res, 429, fmt::format("the server is busy: {} requests are already waiting", options.queue));
  } catch (const ShuttingDown&) {
    return send_error(res, 503, "the server is shutting down");
  }
  ++open_responses;
  // The provider runs on this handler's thread once the headers are out: it waits for tokens,
  // checks meanwhile that the client is still there, and cancels the job when it is not.
  auto released = [this, job](bool) {
    job->cancel();
    --open_responses;
  };
  res.set_chunked_content_provider(
      stream ? "text/event-stream" : "application/json",
      [job, writer, stream](size_t, httplib::DataSink& sink) {
        std::vector<Delta> deltas;
        const bool more = job->next(deltas, kPoll);
        std::string out;
        if (stream) out = writer->events(deltas);
        else writer->add(deltas);
        if (!more)
          out += stream ? writer->end_events()
                        : writer->json().dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
        if (!out.empty() && !sink.write(out.data(), out.size())) return false;
        if (out.empty() && !sink.is_writable()) return false;  // the client left: the releaser cancels
        if (!more) sink.done();
        return true;
      },
      released);
  if (stream) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
  }
}

void Server::Impl::routes() {
  const size_t threads = static_cast<size_t>(options.parallel + options.queue + 8);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(options.max_body_bytes);
  http.set_keep_alive_max_count(1000);
  http.set_read_timeout(options.read_timeout);
  // A client that reads slowly (a busy machine) keeps its answer for this long before it is dropped.
  http.set_write_timeout(30, 0);
  // An idle kept-alive connection is closed after the read timeout too (at most httplib's 5 s).
  const auto idle =
      std::chrono::duration_cast<std::chrono::seconds>(options.read_timeout + std::chrono::milliseconds(999));
  http.set_keep_alive_timeout(std::min<time_t>(5, std::max<time_t>(1, idle.count())));
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/health" || authorized(req)) return httplib::Server::HandlerResponse::Unhandled;
    send_error(res, 401, "invalid or missing API key: send the header 'Authorization: Bearer KEY'");
    return httplib::Server::HandlerResponse::Handled;
  });
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string message = res.status == 404   ? fmt::format("no such endpoint: {} {}", req.method, req.path)
                                : res.status == 413 ? std::string("the request body is too large")
                                                    : fmt::format("bad request (HTTP {})", res.status);
    res.set_content(error_json(res.status, message), "application/json");
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = fmt::format("internal error: {}", e.what());
    } catch (...) {
    }
    send_error(res, 500, what);
  });
  // /health also says how busy the server is: requests submitted and not finished, tokens so far.
  http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    const OrderedJson health = {{"status", stopping ? "shutting down" : "ok"},
                                {"requests_active", scheduler.active_jobs()},
                                {"tokens_generated", scheduler.tokens_generated()}};
    res.set_content(health.dump(), "application/json");
    if (stopping) res.status = 503;
  });
  http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    OrderedJson entry = {{"id", name},
                         {"object", "model"},
                         {"created", 0},
                         {"owned_by", "aha"},
                         {"meta", {{"n_ctx", scheduler.ctx_size()}, {"n_vocab", model.config().vocab_size}}}};
    res.set_content(OrderedJson{{"object", "list"}, {"data", {entry}}}.dump(), "application/json");
  });
  http.Post("/v1/chat/completions",
            [this](const httplib::Request& req, httplib::Response& res) { complete(req, res, Endpoint::chat); });
  http.Post("/v1/completions",
            [this](const httplib::Request& req, httplib::Response& res) { complete(req, res, Endpoint::text); });
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
  if (impl_) impl_->scheduler.shutdown(std::chrono::milliseconds(0));
}

int Server::bind() {
  const ServerOptions& o = impl_->options;
  const int port =
      o.port == 0 ? impl_->http.bind_to_any_port(o.host) : (impl_->http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port <= 0) fail("cannot listen on {}:{} (address in use or not available)", o.host, o.port);
  impl_->http.widen_backlog(1024);
  return port;
}

void Server::listen() { impl_->http.listen_after_bind(); }

void Server::shutdown() {
  std::lock_guard lock(impl_->shutdown_mutex);
  if (impl_->stopping.exchange(true)) return;
  // Running requests finish (or are cancelled when the grace period ends) while the socket is
  // still open, so that their answers are written; new requests meanwhile get 503.
  impl_->scheduler.shutdown(impl_->options.shutdown_grace);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (impl_->open_responses > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  impl_->http.stop();
}

const std::string& Server::model_name() const { return impl_->name; }

}  // namespace aha::serve
