// The processes a data-parallel run spans, and the collective operations training needs: a
// rank-ordered all-reduce sum, broadcast and all-gather. A single process is the default; an Open
// MPI communicator (mpirun -np N) implements the same interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

namespace aha::dist {

class Communicator {
 public:
  virtual ~Communicator() = default;

  // This process's index, 0 .. size() - 1.
  virtual int rank() const = 0;
  // The number of processes.
  virtual int size() const = 0;

  // values ← the element-wise sum of every rank's values, added in rank order
  // ((v0 + v1) + v2) + …, so every rank gets the same bits.
  virtual void all_reduce_sum(std::span<float> values) = 0;
  // As above, in double precision.
  virtual void all_reduce_sum(std::span<double> values) = 0;

  // bytes ← rank `root`'s bytes, on every rank (the same size on every rank).
  virtual void broadcast(std::span<std::byte> bytes, int root) = 0;

  // Every rank's `mine` (sizes may differ), in rank order, on every rank.
  virtual std::vector<std::vector<std::byte>> all_gather(std::span<const std::byte> mine) = 0;
};

// The all_reduce_sum of a communicator from its all_gather: values ← ((v0 + v1) + v2) + …, element
// by element, the same bits on every rank.
template <typename T>
void sum_in_rank_order(Communicator& comm, std::span<T> values) {
  const std::vector<std::vector<std::byte>> all = comm.all_gather(std::as_bytes(values));
  for (size_t i = 0; i < values.size(); ++i) {
    T sum = 0;
    for (const std::vector<std::byte>& rank : all) {
      T v;
      std::memcpy(&v, rank.data() + i * sizeof(T), sizeof(T));
      sum += v;
    }
    values[i] = sum;
  }
}

// One process: rank 0 of 1; every collective leaves its arguments as they are.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void all_reduce_sum(std::span<float>) override {}
  void all_reduce_sum(std::span<double>) override {}
  void broadcast(std::span<std::byte>, int) override {}
  std::vector<std::vector<std::byte>> all_gather(std::span<const std::byte> mine) override {
    return {std::vector<std::byte>(mine.begin(), mine.end())};
  }
};

// This rank's share [first, end) of `count` items shared among the ranks: equal runs in rank
// order (rank r of n: [r·count/n, (r+1)·count/n)).
inline std::pair<int64_t, int64_t> share_of(const Communicator& comm, int64_t count) {
  return {count * comm.rank() / comm.size(), count * (comm.rank() + 1) / comm.size()};
}

// The communicator of this process when nothing else is given: a single process.
Communicator& single_process();

}  // namespace aha::dist
