// The fixed reduction tree: the binary-counter stack builds exactly the canonical tree, and any
// split of the micro-batches over two ranks gives the bits of one rank.
#include "aha/dist/tree_sum.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <memory>

#include "aha/base/random.hpp"
#include "tests/dist/fake_ranks.hpp"

namespace aha::dist {
namespace {

// Partial sums as plain float vectors.
class Vectors final : public SumBuffers {
 public:
  int make(std::vector<float> v) {
    all.push_back(std::move(v));
    return static_cast<int>(all.size() - 1);
  }
  void add(int into, int from) override {
    for (size_t i = 0; i < all[into].size(); ++i) all[into][i] += all[from][i];
  }
  std::vector<std::byte> to_bytes(int buffer) override {
    const auto b = std::as_bytes(std::span(all[buffer]));
    return {b.begin(), b.end()};
  }
  int from_bytes(std::span<const std::byte> bytes) override {
    std::vector<float> v(bytes.size() / sizeof(float));
    std::memcpy(v.data(), bytes.data(), bytes.size());
    return make(std::move(v));
  }
  std::vector<std::vector<float>> all;
};

// Micro-batch k's values: numbers of mixed magnitudes, so that the order of additions shows.
std::vector<float> leaf(int64_t k) {
  RandomStream rng(7, "leaf", static_cast<uint64_t>(k));
  std::vector<float> v(33);
  for (float& x : v) x = static_cast<float>((rng.uniform() - 0.5) * std::pow(10.0, rng.below(7)));
  return v;
}

// The tree by its definition, recursively.
std::vector<float> tree(int64_t lo, int64_t hi) {
  if (hi - lo == 1) return leaf(lo);
  const int64_t s = tree_split(lo, hi);
  std::vector<float> a = tree(lo, s);
  const std::vector<float> b = tree(s, hi);
  for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  return a;
}

// Micro-batches [lo, hi) of `total` summed on this rank and reduced with the others.
std::vector<float> reduce(Communicator& comm, int64_t total, int64_t lo, int64_t hi, size_t* most_held = nullptr) {
  Vectors v;
  TreeStack stack(total);
  for (int64_t k = lo; k < hi; ++k) {
    stack.push(k, v.make(leaf(k)), v);
    if (most_held) *most_held = std::max(*most_held, stack.nodes().size());
  }
  return v.all[static_cast<size_t>(reduce_tree(comm, stack, v))];
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(TreeSum, split_is_the_largest_power_of_two_below_the_size) {
  EXPECT_EQ(tree_split(0, 2), 1);
  EXPECT_EQ(tree_split(0, 4), 2);
  EXPECT_EQ(tree_split(0, 5), 4);
  EXPECT_EQ(tree_split(0, 8), 4);
  EXPECT_EQ(tree_split(4, 7), 6);
  EXPECT_EQ(tree_split(8, 13), 12);
}

TEST(TreeSum, stack_of_one_rank_builds_the_canonical_tree_with_log_many_partial_sums) {
  for (int64_t total = 1; total <= 40; ++total) {
    size_t most = 0;
    EXPECT_TRUE(same_bits(reduce(single_process(), total, 0, total, &most), tree(0, total))) << total;
    EXPECT_LE(most, static_cast<size_t>(std::bit_width(static_cast<uint64_t>(total))) + 1) << total;
  }
  // The tree is not the sum in sequence: the test data tells the two apart.
  std::vector<float> seq = leaf(0);
  for (int64_t k = 1; k < 7; ++k)
    for (size_t i = 0; i < seq.size(); ++i) seq[i] += leaf(k)[i];
  EXPECT_FALSE(same_bits(seq, tree(0, 7)));
}

TEST(TreeSum, two_ranks_give_the_bits_of_one_for_every_split) {
  for (int64_t total : {2, 3, 4, 6, 7, 8, 13}) {
    const std::vector<float> one = tree(0, total);
    for (int64_t split = 1; split < total; ++split) {
      std::vector<std::vector<float>> got(2);
      testing::FakeRanks::run(2, [&](Communicator& comm) {
        const bool first = comm.rank() == 0;
        got[static_cast<size_t>(comm.rank())] = reduce(comm, total, first ? 0 : split, first ? split : total);
      });
      EXPECT_TRUE(same_bits(got[0], one)) << total << " split at " << split;
      EXPECT_TRUE(same_bits(got[1], one)) << total << " split at " << split;
    }
  }
}

TEST(TreeSum, all_reduce_sum_adds_in_rank_order) {
  std::vector<std::vector<double>> got(3);
  testing::FakeRanks::run(3, [&](Communicator& comm) {
    // (1e16 + -1e16) + 1 is 1; another order, 1e16 + (-1e16 + 1), would give 0.
    const double first[] = {1e16, -1e16, 1.0};
    std::vector<double> v = {first[comm.rank()], 1.0, static_cast<double>(comm.rank())};
    comm.all_reduce_sum(std::span<double>(v));
    got[static_cast<size_t>(comm.rank())] = v;
  });
  for (const auto& v : got) EXPECT_EQ(v, (std::vector<double>{1.0, 3.0, 3.0}));
}

}  // namespace
}  // namespace aha::dist
