// `aha serve`: the OpenAI-compatible server; SIGINT or SIGTERM stops it gracefully (exit 0).
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "aha/base/error.hpp"
#include "aha/base/file.hpp"
#include "apps/serve/server.hpp"
#include "cli/command.hpp"

namespace aha::cli {
namespace {

struct ServeOptions {
  serve::ServerOptions server;
  std::string api_key_file;
  double shutdown_grace_s = 3.0;
  double read_timeout_s = 10.0;
  int64_t max_body_kib = 4096;
};

// The API key: --api-key, else the first line of --api-key-file, else $AHA_API_KEY (a key on
// the command line is visible to every user of the machine in `ps`).
std::string api_key(const ServeOptions& o) {
  if (!o.server.api_key.empty() && !o.api_key_file.empty()) fail("give --api-key or --api-key-file, not both");
  std::string key = o.server.api_key;
  if (!o.api_key_file.empty()) {
    const std::string text = read_file(o.api_key_file);
    key = text.substr(0, text.find('\n'));
    if (!key.empty() && key.back() == '\r') key.pop_back();
    if (key.empty()) fail("{}: the API key file's first line is empty", o.api_key_file);
  } else if (key.empty()) {
    if (const char* env = std::getenv("AHA_API_KEY")) key = env;
  }
  for (char c : key)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
      fail("the API key must be visible ASCII without spaces (it is sent in an HTTP header)");
  return key;
}

int run_serve(ServeOptions o) {
  o.server.api_key = api_key(o);
  o.server.shutdown_grace = std::chrono::milliseconds(static_cast<int64_t>(o.shutdown_grace_s * 1000));
  o.server.read_timeout = std::chrono::milliseconds(static_cast<int64_t>(o.read_timeout_s * 1000));
  o.server.max_body_bytes = static_cast<size_t>(o.max_body_kib) * 1024;
  // Signals are taken by one waiting thread (blocked everywhere else, so that no handler or
  // engine thread is interrupted); a write to a client that left must not kill the process.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  serve::Server server(o.server);
  const int port = server.bind();
  if (!server.missing_chat_template().empty())
    fmt::print(stderr,
               "aha serve: warning: {}: until one is given with --chat-template, /v1/chat/completions answers 400 "
               "(/v1/completions works)\n",
               server.missing_chat_template());
  if (!serve::is_loopback(o.server.host) && o.server.api_key.empty())
    fmt::print(stderr,
               "aha serve: warning: listening on {} without an API key: anyone who can reach this address can use "
               "the model (set AHA_API_KEY or --api-key-file)\n",
               o.server.host);
  fmt::print(stderr, "aha serve: {} on http://{}:{} (OpenAI API under /v1; Ctrl-C stops)\n", server.model_name(),
             o.server.host, port);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    fmt::print(stderr, "aha serve: stopping (signal {})\n", sig);
    server.shutdown();
  });
  server.listen();
  // listen() also returns when the socket fails; wake the waiter so that it ends.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  fmt::print(stderr, "aha serve: stopped\n");
  return 0;
}

const bool registered = register_command({
    "serve",
    "Serve a model over an OpenAI-compatible HTTP API (chat completions, completions, models)",
    [](CLI::App& app) {
      auto o = std::make_shared<ServeOptions>();
      serve::ServerOptions& s = o->server;
      app.add_option("--model", s.model,
                     "Model directory (Hugging Face layout, with tokenizer.json), LoRA adapter directory (PEFT layout) "
                     "or .gguf file")
          ->required();
      add_dtype_option(app, s.dtype);
      app.add_option("--host", s.host, "Address to listen on (default 127.0.0.1: this machine only)");
      app.add_option("--port", s.port, "Port (default 8080; 0 picks a free one)");
      app.add_option("--api-key", s.api_key,
                     "Require 'Authorization: Bearer KEY' on every endpoint but /health (visible in `ps`: prefer "
                     "--api-key-file or the AHA_API_KEY variable)");
      app.add_option("--api-key-file", o->api_key_file, "Read the API key from this file's first line");
      app.add_option("--ctx-size", s.ctx_size, "Positions per sequence (default: the model's, at most 4096)");
      app.add_option("--parallel", s.parallel, "Sequences decoded together (default 8)");
      app.add_option("--queue", s.queue, "Requests that may wait for a free slot; more get HTTP 429 (default 64)");
      app.add_option("--chat-template", s.chat_template, "A Jinja chat template file to use instead of the model's");
      app.add_option("--max-body-kib", o->max_body_kib,
                     "Largest request body in KiB; larger get HTTP 413 (default 4096)")
          ->check(CLI::Range(1, 1 << 20));
      app.add_option("--max-connections", s.max_connections,
                     "Open connections at most; at the limit the waiting client that has sent the least is dropped "
                     "(default 512)")
          ->check(CLI::Range(1, 65536));
      app.add_option("--read-timeout", o->read_timeout_s,
                     "Seconds a client may take to send a request's head, and again its body, however slowly the "
                     "bytes come (default 10)")
          ->check(CLI::Range(0.1, 3600.0));
      app.add_option(
             "--shutdown-grace", o->shutdown_grace_s,
             "On SIGINT/SIGTERM, seconds running requests may take to finish before they are cancelled (default 3)")
          ->check(CLI::Range(0.0, 3600.0));
      return [o] { return run_serve(*o); };
    },
});

}  // namespace
}  // namespace aha::cli
