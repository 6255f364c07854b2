// Batched generation with continuous batching: sequences decode together, one batched forward
// per step; finished ones leave and waiting ones join. The n samples of one request share its
// prompt: the prompt is prefilled once and its keys/values are copied to each sample.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "aha/generate/sampler.hpp"
#include "aha/model/decoder.hpp"

namespace aha::generate {

struct Request {
  std::vector<int32_t> prompt = {};
  SamplingParams sampling = {};  // sample i of the request uses seed sampling.seed + i
  int64_t n = 1;
  int64_t max_tokens = 256;           // clamped to what the context leaves after the prompt
  std::vector<int32_t> eos_ids = {};  // generating one of these ends the sample (it is reported)
};

enum class FinishReason { none, stop, length, cancelled };

// Name of a finish reason as OpenAI spells it ("stop", "length", ...).
const char* finish_reason_name(FinishReason reason);

// One generated token of one sample.
struct TokenEvent {
  int64_t request;
  int64_t sample;
  int32_t token;
  float logprob;
  FinishReason finish = FinishReason::none;  // set on the sample's last event
  std::vector<Alternative> top = {};         // the request's sampling.top_logprobs best tokens
};

struct EngineOptions {
  int64_t max_batch = 64;  // sequences decoded together at most
  int64_t ctx_size = 0;    // positions per sequence; 0: min(max_position_embeddings, 4096)
  // The tokenizer's vocab_size: ids at or past it (a checkpoint's padding) are never sampled;
  // 0 (no tokenizer): every id may be.
  int64_t text_vocab = 0;
};

class Engine {
 public:
  // An engine over `model`, which must outlive it.
  Engine(const model::Model& model, EngineOptions options);
  ~Engine();

  // Queues a request after checking it; returns its id.
  int64_t submit(Request request);
  // Stops every sample of `request`; their last events report FinishReason::cancelled.
  void cancel(int64_t request);
  // True when nothing is running or waiting.
  bool idle() const { return running_.empty() && waiting_.empty(); }
  // The context size each sequence gets.
  int64_t ctx_size() const { return ctx_size_; }

  // Admits waiting samples into free slots, then generates one token for every running
  // sample. `on_token` sees every token; returning false ends that sample (a stop string).
  void step(const std::function<bool(const TokenEvent&)>& on_token);

  // Runs until idle.
  void run(const std::function<bool(const TokenEvent&)>& on_token);

 private:
  struct Pending;   // a request whose samples are not all admitted yet
  struct Sequence;  // one running sample
  void admit(const std::function<bool(const TokenEvent&)>& on_token);
  void start_sample(Pending& p, const std::function<bool(const TokenEvent&)>& on_token);
  bool accept(Sequence& s, Sample sample, const std::function<bool(const TokenEvent&)>& on_token);

  const model::Model& model_;
  int64_t max_batch_, ctx_size_, text_vocab_;
  int64_t next_id_ = 0;
  std::deque<std::unique_ptr<Pending>> waiting_;
  std::vector<std::unique_ptr<Sequence>> running_;
  std::vector<float> step_logits_;  // (running, vocab) of the last step
};

}  // namespace aha::generate
