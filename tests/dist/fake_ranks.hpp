// Ranks of one process for tests of collective operations: run(n, fn) calls fn(communicator) on
// n threads, one at a time (a thread runs until it waits in a collective), so the ranks never
// compute at the same time and thread-unsafe code is safe.
#pragma once

#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "aha/dist/communicator.hpp"

namespace aha::dist::testing {

class FakeRanks {
 public:
  class Rank final : public Communicator {
   public:
    Rank(FakeRanks& all, int rank) : all_(all), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return all_.size_; }
    void all_reduce_sum(std::span<float> values) override { sum_in_rank_order(*this, values); }
    void all_reduce_sum(std::span<double> values) override { sum_in_rank_order(*this, values); }
    void broadcast(std::span<std::byte> bytes, int root) override {
      const auto all = all_gather(bytes);
      std::memcpy(bytes.data(), all[static_cast<size_t>(root)].data(), bytes.size());
    }
    std::vector<std::vector<std::byte>> all_gather(std::span<const std::byte> mine) override {
      return all_.gather(*lock_, rank_, mine);
    }
    std::unique_lock<std::mutex>* lock_ = nullptr;  // the baton this rank's thread holds

   private:
    FakeRanks& all_;
    int rank_;
  };

  // Runs fn on `size` ranks and waits for all of them.
  static void run(int size, const std::function<void(Communicator&)>& fn) {
    FakeRanks all(size);
    std::vector<std::thread> threads;
    for (int r = 0; r < size; ++r)
      threads.emplace_back([&all, &fn, r] {
        Rank rank(all, r);
        std::unique_lock lock(all.baton_);
        rank.lock_ = &lock;
        fn(rank);
      });
    for (std::thread& t : threads) t.join();
  }

 private:
  explicit FakeRanks(int size) : size_(size), slots_(static_cast<size_t>(size)) {}

  std::vector<std::vector<std::byte>> gather(std::unique_lock<std::mutex>& lock, int rank,
                                             std::span<const std::byte> mine) {
    slots_[static_cast<size_t>(rank)].assign(mine.begin(), mine.end());
    const int generation = generation_;
    if (++arrived_ == size_) {
      result_ = slots_;
      arrived_ = 0;
      ++generation_;
      done_.notify_all();
    } else {
      done_.wait(lock, [&] { return generation_ != generation; });
    }
    return result_;
  }

  int size_;
  std::mutex baton_;
  std::condition_variable done_;
  std::vector<std::vector<std::byte>> slots_, result_;
  int arrived_ = 0, generation_ = 0;
};

}  // namespace aha::dist::testing
