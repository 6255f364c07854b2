// Sums over the micro-batches of one optimizer step (gradients, loss sums) combined in a fixed
// binary tree over their global indices, so that any split of the micro-batches over processes
// gives the same bits as one process.
//
// The tree over micro-batches [0, total): node [lo, hi) with hi - lo > 1 is left + right, the
// nodes [lo, s) and [s, hi) with s = lo + the largest power of two below hi - lo (tree_split).
// Every node whose size is a power of two 2^j starts at a multiple of 2^j; the others end at total.
//
// Which splits give identical bits: every split. A rank adds each micro-batch's sums into a buffer
// of its own and pushes it on a TreeStack, which adds two nodes as soon as they are siblings (a
// binary counter: at most log2(total) + 1 partial sums at a time). reduce_tree then gathers the
// nodes every rank holds and completes the tree above them in the same order on every rank.
// Floating-point addition is commutative, so only the tree decides the bits. The split is cheapest
// when each rank holds an aligned range [r·2^j, (r+1)·2^j) (the last may be shorter): each rank
// then holds one node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "aha/dist/communicator.hpp"

namespace aha::dist {

// A node of the tree: the sum over micro-batches [lo, hi), held in the owner's buffer `buffer`.
struct TreeNode {
  int64_t lo = 0, hi = 0;
  int buffer = -1;
};

// The buffers a tree sum combines; their owner implements them (e.g. gradient tensors + scalars).
class SumBuffers {
 public:
  virtual ~SumBuffers() = default;
  // into += from, element by element; `from` is no longer needed afterwards.
  virtual void add(int into, int from) = 0;
  // The contents of `buffer` as bytes, to send to other ranks.
  virtual std::vector<std::byte> to_bytes(int buffer) = 0;
  // A buffer holding what to_bytes gave on another rank.
  virtual int from_bytes(std::span<const std::byte> bytes) = 0;
};

// Where node [lo, hi) of the tree splits: lo + the largest power of two below hi - lo.
int64_t tree_split(int64_t lo, int64_t hi);

// The nodes of one rank, added as soon as two of them are siblings.
class TreeStack {
 public:
  // A stack for a step of `total` micro-batches.
  explicit TreeStack(int64_t total) : total_(total) {}

  // Pushes micro-batch `index` (global, in 0 .. total-1), summed into `buffer`; pushes must come
  // in increasing index order. Adds siblings with buffers.add(left, right).
  void push(int64_t index, int buffer, SumBuffers& buffers);

  // The nodes held, in index order.
  const std::vector<TreeNode>& nodes() const { return nodes_; }
  int64_t total() const { return total_; }

 private:
  int64_t total_;
  std::vector<TreeNode> nodes_;
};

// Completes the tree over [0, stack.total()) from every rank's stack and returns the buffer that
// holds the root on this rank (the same bits on every rank). The nodes of all ranks together must
// cover [0, total) exactly once. With one process, no bytes are copied.
int reduce_tree(Communicator& comm, const TreeStack& stack, SumBuffers& buffers);

}  // namespace aha::dist
