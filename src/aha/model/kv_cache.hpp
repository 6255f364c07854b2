// The key/value cache of one sequence: every layer's keys and values at positions 0 .. length-1.
#pragma once

#include <cstdint>
#include <vector>

#include "aha/io/hf_config.hpp"

namespace aha::model {

class KVCache {
 public:
  // A cache for up to `capacity` positions of a model with config `c`.
  KVCache(const io::ModelConfig& c, int64_t capacity);

  // Positions held so far.
  int64_t length() const { return length_; }
  // Positions the cache can hold.
  int64_t capacity() const { return capacity_; }
  // Keys of `layer`, (kv_heads, capacity, head_dim): each head's positions are contiguous, so
  // attention streams them.
  float* keys(int64_t layer) { return k_[layer].data(); }
  // Values of `layer`, (kv_heads, capacity, head_dim).
  float* values(int64_t layer) { return v_[layer].data(); }
  // Read-only keys of `layer`.
  const float* keys(int64_t layer) const { return k_[layer].data(); }
  // Read-only values of `layer`.
  const float* values(int64_t layer) const { return v_[layer].data(); }
  // Writes one position's keys and values (kv_heads, head_dim) of `layer`.
  void store(int64_t layer, int64_t position, const float* k, const float* v);
  // Marks `n` more positions as filled (after every layer has written them).
  void advance(int64_t n) { length_ += n; }
  // Makes this cache hold a copy of the first `n` positions of `other` (same model), and
  // nothing else: the shared prompt of several samples is prefilled once and copied.
  void copy_prefix(const KVCache& other, int64_t n);
  // Forgets every position after the first `n`.
  void truncate(int64_t n) { length_ = n < length_ ? n : length_; }

 private:
  int64_t capacity_ = 0, length_ = 0, heads_ = 0, head_dim_ = 0;
  std::vector<std::vector<float>> k_, v_;
};

}  // namespace aha::model
