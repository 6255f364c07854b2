#include "aha/model/kv_cache.hpp"

#include <algorithm>

#include "aha/base/error.hpp"

namespace aha::model {

KVCache::KVCache(const io::ModelConfig& c, int64_t capacity)
    : capacity_(capacity), row_(c.num_key_value_heads * c.head_dim) {
  if (capacity < 1) fail("context size must be at least 1, got {}", capacity);
  const size_t per_layer = static_cast<size_t>(capacity * row_);
  k_.assign(static_cast<size_t>(c.num_hidden_layers), std::vector<float>(per_layer));
  v_.assign(static_cast<size_t>(c.num_hidden_layers), std::vector<float>(per_layer));
}

void KVCache::copy_prefix(const KVCache& other, int64_t n) {
  if (n > other.length_ || n > capacity_ || row_ != other.row_ || k_.size() != other.k_.size())
    fail_internal("KVCache::copy_prefix: caches do not match");
  for (size_t layer = 0; layer < k_.size(); ++layer) {
    std::copy_n(other.k_[layer].data(), n * row_, k_[layer].data());
    std::copy_n(other.v_[layer].data(), n * row_, v_[layer].data());
  }
  length_ = n;
}

}  // namespace aha::model
