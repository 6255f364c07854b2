// `aha serve`: an OpenAI-compatible HTTP server over one model. An event-loop thread holds the
// connections (http_server.hpp); worker threads parse requests and stream answers; one engine
// thread decodes every running request together (see scheduler.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "aha/model/compute_dtype.hpp"

namespace aha::serve {

struct ServerOptions {
  std::string model;          // model directory (Hugging Face layout, with tokenizer.json)
  std::string chat_template;  // a Jinja file to use instead of the model's template
  model::DTypeChoice dtype = model::DTypeChoice::automatic;  // the matrices' compute dtype
  std::string host = "127.0.0.1";
  int port = 8080;                                 // 0: any free port (bind() says which)
  std::string api_key;                             // non-empty: every endpoint but /health wants it as a Bearer token
  int64_t ctx_size = 0;                            // positions per sequence; 0: the model's, at most 4096
  int64_t parallel = 8;                            // sequences decoded together
  int64_t queue = 64;                              // requests waiting for a slot at most; more get 429
  size_t max_body_bytes = size_t{4} << 20;         // larger request bodies get 413
  int max_connections = 512;                       // at the limit, the slowest waiting client is dropped
  std::chrono::milliseconds read_timeout{10000};   // the head, then the body, must each arrive within this
  std::chrono::milliseconds shutdown_grace{3000};  // running requests may finish within this
};

// Whether `host` names this machine only ("localhost", "::1", 127.x.x.x).
bool is_loopback(const std::string& host);

class Server {
 public:
  // Loads the model, its tokenizer and chat template; starts the engine thread.
  explicit Server(ServerOptions options);
  ~Server();

  // Binds the listening socket; returns the port. Throws when the address cannot be bound.
  int bind();
  // Serves until shutdown() (call bind() first); returns once every connection has ended.
  void listen();
  // Graceful stop, from any thread: the server stops accepting connections and closes those
  // still sending a request; running requests get the grace period to finish, the rest are
  // cancelled (their clients get the end of their answer), then listen() returns. Idempotent.
  void shutdown();

  // The name /v1/models lists: the model directory's name.
  const std::string& model_name() const;
  // Why the model has no chat template ("" when it has one): chat requests then get 400.
  const std::string& missing_chat_template() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aha::serve
