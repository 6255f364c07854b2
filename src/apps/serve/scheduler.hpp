// The server's generation side: one engine thread runs the batched generator; HTTP handler
// threads submit jobs and read each job's text and tokens from a thread-safe queue. Every job
// that arrives while others run joins the same batch (continuous batching).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aha/generate/engine.hpp"
#include "aha/generate/stop_strings.hpp"
#include "aha/tokenizer/stream_decoder.hpp"

namespace aha::serve {

// What one generated token of one sample adds: the token, its log-probabilities and the text
// that is now final (stop strings held back and removed).
struct Delta {
  int64_t sample;
  int32_t token;
  float logprob;
  std::vector<generate::Alternative> top;
  std::string text;
  bool eos = false;    // an end-of-sequence token: no text, not listed in logprobs
  std::string finish;  // "", or on the sample's last delta "stop", "length" or "cancelled"
};

// One submitted request, shared by the handler that reads it and the engine thread that fills it.
class Job {
 public:
  // A job of `samples` samples; a `streamed` one wakes its reader at every token, another only
  // when it has finished (per-token wake-ups cost the engine thread more than the model's step
  // on a small model).
  Job(int64_t samples, const tokenizer::Tokenizer* tokenizer, const std::vector<std::string>& stop, bool streamed);

  // Waits up to `timeout` for deltas (streamed) or for the end (not streamed); moves the deltas
  // there are into `out`. Returns false once every sample has finished and everything was read.
  bool next(std::vector<Delta>& out, std::chrono::milliseconds timeout);
  // Asks the engine thread to stop this job (the client went away); safe from any thread.
  void cancel();
  bool cancelled() const;

 private:
  friend class Scheduler;
  struct SampleText {
    std::unique_ptr<tokenizer::StreamDecoder> decoder;
    generate::StopMatcher stops;
  };
  // Engine thread: turns a token event into a delta; returns whether the sample goes on.
  bool add(const generate::TokenEvent& event);
  // Engine thread: ends every sample that has not finished with `reason`.
  void finish_all(const std::string& reason);

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Delta> deltas_;
  std::vector<SampleText> text_;
  std::vector<bool> finished_;
  int64_t unfinished_;
  bool cancelled_ = false;
  bool streamed_;
  const tokenizer::Tokenizer* tokenizer_;
  // Submission hand-shake with the engine thread.
  bool accepted_ = false;
  std::optional<std::string> error_;
  int64_t engine_id_ = -1;
};

struct SchedulerOptions {
  int64_t parallel = 8;  // sequences decoded together
  int64_t ctx_size = 0;  // positions per sequence; 0: the model's, at most 4096
  int64_t queue = 64;    // jobs waiting for a slot at most; more are refused
};

// Thrown by Scheduler::submit when the waiting queue is full (HTTP 429).
struct QueueFull {};
// Thrown by Scheduler::submit once shutdown has begun (HTTP 503).
struct ShuttingDown {};

class Scheduler {
 public:
  // Starts the engine thread over `model` (and `tokenizer`, which may be null); both outlive it.
  Scheduler(const model::Model& model, const tokenizer::Tokenizer* tokenizer, SchedulerOptions options);
  ~Scheduler();

  // Queues `request`; returns its job (see Job for `streamed`) once the engine has accepted it.
  // Throws aha::Error for a request the engine refuses, QueueFull or ShuttingDown.
  std::shared_ptr<Job> submit(generate::Request request, const std::vector<std::string>& stop, bool streamed);

  // Refuses new jobs, lets running ones finish for up to `grace`, cancels the rest and stops the
  // engine thread. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

  // The context size each sequence gets.
  int64_t ctx_size() const { return ctx_size_; }
  // Jobs submitted and not yet finished.
  int64_t active_jobs() const;
  // Tokens generated since start, over all jobs.
  int64_t tokens_generated() const { return tokens_generated_; }

 private:
  void loop();
  void admit_new();       // engine thread, under mutex_
  void drop_cancelled();  // engine thread, under mutex_

  const tokenizer::Tokenizer* tokenizer_;
  generate::Engine engine_;
  int64_t ctx_size_, queue_limit_, parallel_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, accepted_;
  std::vector<std::pair<std::shared_ptr<Job>, generate::Request>> inbox_;
  std::map<int64_t, std::shared_ptr<Job>> jobs_;  // by engine request id
  bool refusing_ = false, stop_ = false;
  std::atomic<int64_t> tokens_generated_{0};
  std::thread thread_;
};

}  // namespace aha::serve
