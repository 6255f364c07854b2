#include "aha/base/threads.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "aha/base/error.hpp"

namespace aha {
namespace {

TEST(Threads, parallel_for_covers_every_index_exactly_once) {
  for (int threads : {1, 2, 3, 7}) {
    set_num_threads(threads);
    for (size_t n : {0u, 1u, 2u, 5u, 100u, 1001u}) {
      std::vector<std::atomic<int>> hits(n);
      parallel_for(n, [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) hits[i]++;
      });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
  }
  set_num_threads(2);
}

TEST(Threads, exception_in_a_worker_reaches_the_caller) {
  set_num_threads(4);
  EXPECT_THROW(parallel_for(100,
                            [](size_t begin, size_t) {
                              if (begin > 0) throw std::runtime_error("boom");
                            }),
               std::runtime_error);
  // The pool still works afterwards.
  std::atomic<size_t> total{0};
  parallel_for(100, [&](size_t b, size_t e) { total += e - b; });
  EXPECT_EQ(total.load(), 100u);
  set_num_threads(2);
}

TEST(Threads, rejects_a_thread_count_below_one) { EXPECT_THROW(set_num_threads(0), Error); }

}  // namespace
}  // namespace aha
