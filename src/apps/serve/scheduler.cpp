#include "apps/serve/scheduler.hpp"

#include <malloc.h>

#include <algorithm>

#include "aha/base/error.hpp"

namespace aha::serve {

Job::Job(int64_t samples, const tokenizer::Tokenizer* tokenizer, const std::vector<std::string>& stop, bool streamed)
    : finished_(static_cast<size_t>(samples), false), unfinished_(samples), streamed_(streamed), tokenizer_(tokenizer) {
  for (int64_t i = 0; i < samples; ++i)
    text_.push_back({tokenizer ? std::make_unique<tokenizer::StreamDecoder>(*tokenizer, true) : nullptr,
                     generate::StopMatcher(stop)});
}

bool Job::next(std::vector<Delta>& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return (streamed_ && !deltas_.empty()) || unfinished_ == 0; });
  while (!deltas_.empty()) {
    out.push_back(std::move(deltas_.front()));
    deltas_.pop_front();
  }
  return unfinished_ > 0 || !out.empty();
}

void Job::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
}

bool Job::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

bool Job::add(const generate::TokenEvent& e) {
  Delta d{e.sample, e.token, e.logprob, e.top, "", e.finish == generate::FinishReason::stop, ""};
  if (e.finish != generate::FinishReason::none) d.finish = generate::finish_reason_name(e.finish);
  bool stopped = false;
  if (tokenizer_) {
    SampleText& s = text_[static_cast<size_t>(e.sample)];
    // EOS is not shown, nor an id the tokenizer has no token for (as aha generate does).
    const bool shown = !d.eos && tokenizer_->id_to_token(e.token);
    d.text = s.stops.feed(shown ? s.decoder->step(e.token) : "");
    if (s.stops.stopped()) d.finish = "stop";
    if (!d.finish.empty() && !s.stops.stopped()) d.text += s.stops.feed(s.decoder->finish()) + s.stops.flush();
    stopped = s.stops.stopped();
  }
  std::lock_guard lock(mutex_);
  if (finished_[static_cast<size_t>(e.sample)]) return false;
  const bool last = !d.finish.empty();
  if (last) {
    finished_[static_cast<size_t>(e.sample)] = true;
    --unfinished_;
  }
  deltas_.push_back(std::move(d));
  if (streamed_ || unfinished_ == 0) ready_.notify_all();
  return !last && !stopped && !cancelled_;
}

void Job::finish_all(const std::string& reason) {
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < finished_.size(); ++i)
    if (!finished_[i]) {
      finished_[i] = true;
      --unfinished_;
      deltas_.push_back({static_cast<int64_t>(i), -1, 0.0f, {}, "", true, reason});
    }
  accepted_ = true;
  ready_.notify_all();
}

Scheduler::Scheduler(const model::Model& model, const tokenizer::Tokenizer* tokenizer, SchedulerOptions options)
    : tokenizer_(tokenizer),
      engine_(model, {.max_batch = options.parallel,
                      .ctx_size = options.ctx_size,
                      .text_vocab = tokenizer ? tokenizer->vocab_size() : 0}),
      ctx_size_(engine_.ctx_size()),
      queue_limit_(options.queue),
      parallel_(options.parallel) {
  if (options.queue < 0) fail("the waiting queue size must be >= 0, got {}", options.queue);
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() { shutdown(std::chrono::milliseconds(0)); }

std::shared_ptr<Job> Scheduler::submit(generate::Request request, const std::vector<std::string>& stop, bool streamed) {
  auto job = std::make_shared<Job>(request.n, tokenizer_, stop, streamed);
  std::unique_lock lock(mutex_);
  if (refusing_) throw ShuttingDown{};
  // The engine admits jobs in order: a job waits when the samples before it and its own
  // unfinished ones need more than the `parallel` slots.
  int64_t demand = 0, waiting = 0;
  auto count = [&](const Job& j) {
    std::lock_guard job_lock(j.mutex_);
    demand += j.unfinished_;
    waiting += demand > parallel_ ? 1 : 0;
  };
  for (const auto& [id, j] : jobs_) count(*j);
  for (const auto& [j, r] : inbox_) count(*j);
  demand += request.n;
  if (demand > parallel_ && waiting >= queue_limit_) throw QueueFull{};
  inbox_.emplace_back(job, std::move(request));
  wake_.notify_all();
  accepted_.wait(lock, [&] {
    std::lock_guard job_lock(job->mutex_);
    return job->accepted_;
  });
  std::lock_guard job_lock(job->mutex_);
  if (job->error_) fail("{}", *job->error_);
  return job;
}

int64_t Scheduler::active_jobs() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(jobs_.size() + inbox_.size());
}

void Scheduler::admit_new() {
  for (auto& [job, request] : inbox_) {
    std::lock_guard job_lock(job->mutex_);
    try {
      job->engine_id_ = engine_.submit(std::move(request));
      jobs_[job->engine_id_] = job;
    } catch (const Error& e) {
      job->error_ = e.what();
    }
    job->accepted_ = true;
  }
  if (!inbox_.empty()) accepted_.notify_all();
  inbox_.clear();
}

void Scheduler::drop_cancelled() {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    bool done;
    {
      std::lock_guard job_lock(it->second->mutex_);
      done = it->second->unfinished_ == 0;
    }
    if (done || it->second->cancelled() || stop_) {
      engine_.cancel(it->first);
      it->second->finish_all("cancelled");
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

void Scheduler::loop() {
  auto on_token = [this](const generate::TokenEvent& e) {
    ++tokens_generated_;
    auto it = jobs_.find(e.request);
    return it != jobs_.end() && it->second->add(e);
  };
  bool busy = false;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (jobs_.empty() && inbox_.empty() && busy) {
        // Idle again: hand the caches and buffers of finished requests back to the system, so
        // that the resident size reflects what the server holds, not its busiest moment.
        busy = false;
        malloc_trim(0);
      }
      wake_.wait(lock, [&] { return stop_ || !inbox_.empty() || !jobs_.empty(); });
      busy = true;
      admit_new();
      drop_cancelled();
      if (stop_ && jobs_.empty()) return;
    }
    if (engine_.idle()) continue;
    try {
      engine_.step(on_token);
    } catch (const std::exception&) {
      // A step that fails (out of memory, a bug) must not take the server down: its jobs end
      // as cancelled and the server goes on with new ones.
      std::lock_guard lock(mutex_);
      for (auto& [id, job] : jobs_) job->cancel();
    }
  }
}

void Scheduler::shutdown(std::chrono::milliseconds grace) {
  {
    std::unique_lock lock(mutex_);
    refusing_ = true;
    if (!thread_.joinable()) return;
    // Running jobs get `grace` to finish; the engine thread empties the job map as they end.
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!(jobs_.empty() && inbox_.empty()) && std::chrono::steady_clock::now() < deadline) {
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      lock.lock();
    }
    stop_ = true;
    wake_.notify_all();
  }
  thread_.join();
}

}  // namespace aha::serve
