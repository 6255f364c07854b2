#include "aha/generate/engine.hpp"

#include <algorithm>

#include "aha/base/error.hpp"
#include "aha/base/threads.hpp"

namespace aha::generate {

struct Engine::Pending {
  int64_t id;
  std::shared_ptr<const Request> request;
  int64_t next_sample = 0;
  std::unique_ptr<model::KVCache> prefix;  // the prompt, prefilled once
  std::vector<float> logits;               // at the prompt's last position
};

struct Engine::Sequence {
  int64_t request, sample;
  std::shared_ptr<const Request> params;
  model::KVCache cache;
  Sampler sampler;
  std::vector<int32_t> completion;
};

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
    case FinishReason::cancelled: return "cancelled";
    default: return "none";
  }
}

Engine::Engine(const model::Model& model, EngineOptions options)
    : model_(model), max_batch_(options.max_batch), ctx_size_(options.ctx_size), text_vocab_(options.text_vocab) {
  if (max_batch_ < 1) fail("the batch size must be at least 1, got {}", max_batch_);
  if (text_vocab_ < 0) fail("the tokenizer's vocabulary size must be >= 0 (0: no limit), got {}", text_vocab_);
  if (ctx_size_ == 0) ctx_size_ = std::min<int64_t>(model.config().max_position_embeddings, 4096);
  if (ctx_size_ < 2) fail("the context size must be at least 2 positions, got {}", ctx_size_);
}

Engine::~Engine() = default;

int64_t Engine::submit(Request request) {
  const int64_t prompt = static_cast<int64_t>(request.prompt.size());
  if (prompt == 0) fail("the prompt is empty");
  if (prompt >= ctx_size_)
    fail("the prompt has {} tokens, which leaves no room in the context size {}", prompt, ctx_size_);
  const int64_t vocab = model_.config().vocab_size;
  for (int64_t i = 0; i < prompt; ++i)
    if (request.prompt[i] < 0 || request.prompt[i] >= vocab)
      fail("token id {} at position {} is outside the vocabulary (size {})", request.prompt[i], i, vocab);
  if (request.max_tokens < 1) fail("max_tokens must be at least 1, got {}", request.max_tokens);
  if (request.n < 1 || request.n > 4096) fail("n must be from 1 to 4096, got {}", request.n);
  validate(request.sampling);
  request.max_tokens = std::min(request.max_tokens, ctx_size_ - prompt);
  auto p = std::make_unique<Pending>();
  p->id = next_id_++;
  p->request = std::make_shared<const Request>(std::move(request));
  waiting_.push_back(std::move(p));
  return waiting_.back()->id;
}

void Engine::cancel(int64_t request) {
  std::erase_if(waiting_, [&](const auto& p) { return p->id == request; });
  std::erase_if(running_, [&](const auto& s) { return s->request == request; });
}

// Records a sampled token, reports it, and says whether the sequence goes on.
bool Engine::accept(Sequence& s, Sample sample, const std::function<bool(const TokenEvent&)>& on_token) {
  s.completion.push_back(sample.token);
  const Request& r = *s.params;
  TokenEvent event{s.request, s.sample, sample.token, sample.logprob, FinishReason::none, std::move(sample.top)};
  if (std::find(r.eos_ids.begin(), r.eos_ids.end(), sample.token) != r.eos_ids.end()) event.finish = FinishReason::stop;
  else if (static_cast<int64_t>(s.completion.size()) >= r.max_tokens || s.cache.length() >= s.cache.capacity())
    event.finish = FinishReason::length;
  const bool go_on = on_token(event);
  return go_on && event.finish == FinishReason::none;
}

void Engine::start_sample(Pending& p, const std::function<bool(const TokenEvent&)>& on_token) {
  const Request& r = *p.request;
  const int64_t prompt = static_cast<int64_t>(r.prompt.size());
  SamplingParams sampling = r.sampling;
  sampling.seed += static_cast<uint64_t>(p.next_sample);
  auto s = std::unique_ptr<Sequence>(new Sequence{
      p.id, p.next_sample, p.request, model_.new_cache(prompt + r.max_tokens), Sampler(sampling, text_vocab_), {}});
  ++p.next_sample;
  s->cache.copy_prefix(*p.prefix, prompt);
  Sample first = s->sampler.sample(p.logits, r.prompt, {});
  if (accept(*s, first, on_token)) running_.push_back(std::move(s));
}

// Prefills the prompts of the waiting requests that get slots now (in one batched pass),
// then starts as many samples as there are free slots.
void Engine::admit(const std::function<bool(const TokenEvent&)>& on_token) {
  int64_t free = max_batch_ - static_cast<int64_t>(running_.size());
  std::vector<Pending*> to_prefill;
  std::vector<model::SequenceChunk> chunks;
  int64_t budget = free;
  for (auto& p : waiting_) {
    if (budget <= 0) break;
    budget -= p->request->n - p->next_sample;
    if (p->prefix) continue;
    p->prefix = std::make_unique<model::KVCache>(model_.new_cache(static_cast<int64_t>(p->request->prompt.size())));
    to_prefill.push_back(p.get());
    chunks.push_back({p->request->prompt, p->prefix.get()});
  }
  if (!chunks.empty()) {
    const int64_t vocab = model_.config().vocab_size;
    std::vector<float> logits(chunks.size() * vocab);
    model_.forward_batch(chunks, logits.data());
    for (size_t i = 0; i < to_prefill.size(); ++i)
      to_prefill[i]->logits.assign(logits.begin() + i * vocab, logits.begin() + (i + 1) * vocab);
  }
  while (free > 0 && !waiting_.empty()) {
    Pending& p = *waiting_.front();
    while (free > 0 && p.next_sample < p.request->n) {
      start_sample(p, on_token);
      --free;
    }
    if (p.next_sample < p.request->n) break;
    waiting_.pop_front();
  }
}

void Engine::step(const std::function<bool(const TokenEvent&)>& on_token) {
  admit(on_token);
  if (running_.empty()) return;
  const int64_t vocab = model_.config().vocab_size;
  std::vector<model::SequenceChunk> chunks;
  for (auto& s : running_) chunks.push_back({std::span(&s->completion.back(), 1), &s->cache});
  std::vector<float>& logits = step_logits_;  // reused: a fresh 8 MB every step costs page faults
  logits.resize(running_.size() * vocab);
  model_.forward_batch(chunks, logits.data());
  // Sampling is independent per sequence (each has its own random stream): do it in parallel,
  // then report the tokens in order.
  std::vector<Sample> next(running_.size());
  parallel_for(running_.size(), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      Sequence& s = *running_[i];
      next[i] = s.sampler.sample(std::span(logits.data() + i * vocab, vocab), s.params->prompt, s.completion);
    }
  });
  size_t kept = 0;
  for (size_t i = 0; i < running_.size(); ++i)
    if (accept(*running_[i], next[i], on_token)) running_[kept++] = std::move(running_[i]);
  running_.resize(kept);
}

void Engine::run(const std::function<bool(const TokenEvent&)>& on_token) {
  while (!idle()) step(on_token);
}

}  // namespace aha::generate
