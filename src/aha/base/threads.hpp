// A fixed pool of worker threads and a statically partitioned parallel_for.
// Work is split into the same chunks for the same thread count, so results that
// depend on the split are reproducible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace aha {

// Below this many elements an elementwise kernel (one decode step) runs on one thread:
// threads cost more than they save.
constexpr int64_t kMinParallelElements = int64_t{1} << 14;

// Sets the number of threads parallel_for uses (>= 1); rebuilds the pool.
void set_num_threads(int n);

// The number of threads parallel_for uses: set_num_threads, else AHA_NUM_THREADS, else all cores
// (under mpirun, the cores divided by the ranks on this node, OMPI_COMM_WORLD_LOCAL_SIZE).
int num_threads();

// Calls fn(begin, end) on disjoint chunks covering [0, n), one chunk per thread, and waits.
// Chunks are contiguous and in thread order; fn must not call parallel_for itself.
void parallel_for(size_t n, const std::function<void(size_t begin, size_t end)>& fn);

}  // namespace aha
