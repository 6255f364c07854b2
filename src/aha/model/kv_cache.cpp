#include "aha/model/kv_cache.hpp"

#include <algorithm>

#include "aha/base/error.hpp"

namespace aha::model {

KVCache::KVCache(const io::ModelConfig& c, int64_t capacity)
    : capacity_(capacity), heads_(c.num_key_value_heads), head_dim_(c.head_dim) {
  if (capacity < 1) fail("context size must be at least 1, got {}", capacity);
  const size_t per_layer = static_cast<size_t>(capacity * heads_ * head_dim_);
  k_.assign(static_cast<size_t>(c.num_hidden_layers), std::vector<float>(per_layer));
  v_.assign(static_cast<size_t>(c.num_hidden_layers), std::vector<float>(per_layer));
}

void KVCache::copy_prefix(const KVCache& other, int64_t n) {
  if (n > other.length_ || n > capacity_ || heads_ != other.heads_ || head_dim_ != other.head_dim_ ||
      k_.size() != other.k_.size())
    fail_internal("KVCache::copy_prefix: caches do not match");
  for (size_t layer = 0; layer < k_.size(); ++layer)
    for (int64_t h = 0; h < heads_; ++h) {
      std::copy_n(other.k_[layer].data() + h * other.capacity_ * head_dim_, n * head_dim_,
                  k_[layer].data() + h * capacity_ * head_dim_);
      std::copy_n(other.v_[layer].data() + h * other.capacity_ * head_dim_, n * head_dim_,
                  v_[layer].data() + h * capacity_ * head_dim_);
    }
  length_ = n;
}

void KVCache::store(int64_t layer, int64_t position, const float* k, const float* v) {
  for (int64_t h = 0; h < heads_; ++h) {
    std::copy_n(k + h * head_dim_, head_dim_, k_[layer].data() + (h * capacity_ + position) * head_dim_);
    std::copy_n(v + h * head_dim_, head_dim_, v_[layer].data() + (h * capacity_ + position) * head_dim_);
  }
}

}  // namespace aha::model
