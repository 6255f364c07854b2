#include "aha/dist/tree_sum.hpp"

#include <bit>
#include <cstring>
#include <map>
#include <utility>

#include "aha/base/error.hpp"

namespace aha::dist {
namespace {

// Whether [lo, hi) is a node of the tree over [0, total): found by descending from the root.
bool is_node(int64_t lo, int64_t hi, int64_t total) {
  int64_t a = 0, b = total;
  while (b - a > 1 && (a != lo || b != hi)) {
    const int64_t s = tree_split(a, b);
    if (hi <= s) b = s;
    else if (lo >= s) a = s;
    else return false;
  }
  return a == lo && b == hi;
}

void put_i64(std::vector<std::byte>& out, int64_t v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

int64_t get_i64(std::span<const std::byte> in, size_t& at) {
  if (at + sizeof(int64_t) > in.size()) fail_internal("tree reduction: a rank's message is truncated");
  int64_t v = 0;
  std::memcpy(&v, in.data() + at, sizeof v);
  at += sizeof v;
  return v;
}

// A rank's nodes as one message: count, then per node lo, hi, byte count and bytes.
std::vector<std::byte> encode(const TreeStack& stack, SumBuffers& buffers) {
  std::vector<std::byte> out;
  put_i64(out, static_cast<int64_t>(stack.nodes().size()));
  for (const TreeNode& n : stack.nodes()) {
    const std::vector<std::byte> bytes = buffers.to_bytes(n.buffer);
    put_i64(out, n.lo);
    put_i64(out, n.hi);
    put_i64(out, static_cast<int64_t>(bytes.size()));
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  return out;
}

void decode(std::span<const std::byte> in, SumBuffers& buffers, std::map<std::pair<int64_t, int64_t>, int>& nodes) {
  size_t at = 0;
  const int64_t count = get_i64(in, at);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t lo = get_i64(in, at), hi = get_i64(in, at), size = get_i64(in, at);
    if (size < 0 || at + static_cast<size_t>(size) > in.size())
      fail_internal("tree reduction: a rank's message is truncated");
    nodes[{lo, hi}] = buffers.from_bytes(in.subspan(at, static_cast<size_t>(size)));
    at += static_cast<size_t>(size);
  }
}

int evaluate(int64_t lo, int64_t hi, const std::map<std::pair<int64_t, int64_t>, int>& nodes, SumBuffers& buffers) {
  if (const auto it = nodes.find({lo, hi}); it != nodes.end()) return it->second;
  if (hi - lo <= 1) fail_internal(fmt::format("tree reduction: no rank holds micro-batch {}", lo));
  const int64_t s = tree_split(lo, hi);
  const int left = evaluate(lo, s, nodes, buffers);
  const int right = evaluate(s, hi, nodes, buffers);
  buffers.add(left, right);
  return left;
}

}  // namespace

int64_t tree_split(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(std::bit_floor(static_cast<uint64_t>(hi - lo - 1)));
}

void TreeStack::push(int64_t index, int buffer, SumBuffers& buffers) {
  if (index < 0 || index >= total_ || (!nodes_.empty() && index < nodes_.back().hi))
    fail_internal(fmt::format("tree reduction: micro-batch {} pushed out of order (total {})", index, total_));
  nodes_.push_back({index, index + 1, buffer});
  while (nodes_.size() >= 2) {
    TreeNode& left = nodes_[nodes_.size() - 2];
    const TreeNode& right = nodes_.back();
    if (left.hi != right.lo || !is_node(left.lo, right.hi, total_) || tree_split(left.lo, right.hi) != left.hi) break;
    buffers.add(left.buffer, right.buffer);
    left.hi = right.hi;
    nodes_.pop_back();
  }
}

int reduce_tree(Communicator& comm, const TreeStack& stack, SumBuffers& buffers) {
  std::map<std::pair<int64_t, int64_t>, int> nodes;
  if (comm.size() == 1) {
    for (const TreeNode& n : stack.nodes()) nodes[{n.lo, n.hi}] = n.buffer;
  } else {
    const std::vector<std::vector<std::byte>> all = comm.all_gather(encode(stack, buffers));
    for (int r = 0; r < comm.size(); ++r) {
      if (r != comm.rank()) decode(all[static_cast<size_t>(r)], buffers, nodes);
      else
        for (const TreeNode& n : stack.nodes()) nodes[{n.lo, n.hi}] = n.buffer;
    }
  }
  if (stack.total() == 0) fail_internal("tree reduction over no micro-batches");
  return evaluate(0, stack.total(), nodes, buffers);
}

}  // namespace aha::dist
