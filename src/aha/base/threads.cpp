#include "aha/base/threads.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aha/base/error.hpp"

namespace aha {
namespace {

int default_threads() {
  if (const char* env = std::getenv("AHA_NUM_THREADS")) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n >= 1 && n <= 4096) return static_cast<int>(n);
    fail("AHA_NUM_THREADS: expected a whole number from 1 to 4096, got '{}'", env);
  }
  // Under mpirun the cores are shared by the ranks Open MPI started on this node.
  int ranks = 1;
  if (const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) ranks = std::max(1, std::atoi(local));
  const unsigned hw = std::thread::hardware_concurrency();
  return std::max(1, static_cast<int>(hw == 0 ? 1 : hw) / ranks);
}

// Spins (yielding the core to any other runnable thread) until `ready()` or about 50 µs have
// passed; true when ready. Decode calls parallel_for a hundred times a token, microseconds apart:
// waking a sleeping thread costs tens of microseconds each time, a short spin almost nothing.
template <typename Ready>
bool spin_until(Ready ready) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
  for (int i = 0;; ++i) {
    if (ready()) return true;
    if (i % 64 == 63 && std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
}

// Workers wait for a new generation (spinning briefly, then asleep), run their chunk, and count
// down `pending`; the caller runs chunk 0 and waits for them the same way.
class Pool {
 public:
  explicit Pool(int n) : size_(n) {
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { work(i); });
  }
  ~Pool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int size() const { return size_; }

  void run(size_t n, const std::function<void(size_t, size_t)>& fn) {
    std::lock_guard serial(run_mutex_);
    {
      std::lock_guard lock(mutex_);
      fn_ = &fn;
      n_ = n;
      pending_.store(size_ - 1, std::memory_order_relaxed);
      error_ = nullptr;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    run_chunk(0);
    if (!spin_until([this] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void run_chunk(int index) {
    size_t begin = n_ * index / size_, end = n_ * (index + 1) / size_;
    if (begin >= end) return;
    try {
      (*fn_)(begin, end);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
  void work(int index) {
    unsigned long seen = 0;
    for (;;) {
      auto moved = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (!spin_until(moved)) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, moved);
      }
      {
        std::lock_guard lock(mutex_);  // fn_, n_ and stop_ as the generation's writer left them
        seen = generation_.load(std::memory_order_acquire);
        if (stop_) return;
      }
      run_chunk(index);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard lock(mutex_);  // the caller checks pending_ under it before sleeping
        done_.notify_one();
      }
    }
  }

  int size_;
  std::vector<std::thread> workers_;
  std::mutex mutex_, run_mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t, size_t)>* fn_ = nullptr;
  size_t n_ = 0;
  std::atomic<int> pending_ = 0;
  std::atomic<unsigned long> generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

std::mutex g_pool_mutex;
std::unique_ptr<Pool> g_pool;
int g_threads = 0;

Pool& pool() {
  std::lock_guard lock(g_pool_mutex);
  if (g_threads == 0) g_threads = default_threads();
  if (!g_pool || g_pool->size() != g_threads) g_pool = std::make_unique<Pool>(g_threads);
  return *g_pool;
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1 || n > 4096) fail("the thread count must be a whole number from 1 to 4096, got {}", n);
  std::lock_guard lock(g_pool_mutex);
  g_threads = n;
}

int num_threads() {
  std::lock_guard lock(g_pool_mutex);
  if (g_threads == 0) g_threads = default_threads();
  return g_threads;
}

void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  Pool& p = pool();
  if (p.size() == 1 || n == 1) {
    fn(0, n);
    return;
  }
  p.run(n, fn);
}

}  // namespace aha
