#include "aha/model/kv_cache.hpp"

#include "aha/base/error.hpp"

namespace aha::model {

KVCache::KVCache(const io::ModelConfig& c, int64_t capacity) : capacity_(capacity) {
  if (capacity < 1) fail("context size must be at least 1, got {}", capacity);
  const size_t per_layer = static_cast<size_t>(capacity * c.num_key_value_heads * c.head_dim);
  k_.assign(static_cast<size_t>(c.num_hidden_layers), std::vector<float>(per_layer));
  v_.assign(static_cast<size_t>(c.num_hidden_layers), std::vector<float>(per_layer));
}

}  // namespace aha::model
