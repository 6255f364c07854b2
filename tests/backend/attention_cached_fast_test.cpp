// The decoder's attention over KVCache-laid-out caches against reference::attention_cached_forward
// (itself pinned to a double-precision reference), for grouped heads and ragged lengths.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "aha/backend/cpu/reference/attention_cached_reference.hpp"
#include "aha/backend/ops.hpp"
#include "aha/base/threads.hpp"

namespace aha::backend::cpu {
namespace {

TEST(CachedAttention, matches_the_reference_kernel_for_grouped_heads_and_ragged_lengths) {
  for (int64_t hd : {64, 20}) {  // the vector path and the scalar one
    const int64_t rows = 3, heads = 6, kv_heads = 2, capacity = 40;
    const std::vector<int64_t> lengths = {1, 17, 40}, capacities(rows, capacity);
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    std::vector<float> q(rows * heads * hd);
    for (float& x : q) x = normal(rng);
    // Per row: the cache layout (kv_heads, capacity, hd) and the reference layout (capacity, kv_heads, hd).
    std::vector<std::vector<float>> k(rows), v(rows), k_ref(rows), v_ref(rows);
    std::vector<const float*> kp, vp, kp_ref, vp_ref;
    for (int64_t r = 0; r < rows; ++r) {
      k[r].resize(kv_heads * capacity * hd), v[r].resize(k[r].size());
      k_ref[r].resize(k[r].size()), v_ref[r].resize(k[r].size());
      for (int64_t h = 0; h < kv_heads; ++h)
        for (int64_t t = 0; t < capacity; ++t)
          for (int64_t i = 0; i < hd; ++i) {
            const float a = normal(rng), b = normal(rng);
            k[r][(h * capacity + t) * hd + i] = k_ref[r][(t * kv_heads + h) * hd + i] = a;
            v[r][(h * capacity + t) * hd + i] = v_ref[r][(t * kv_heads + h) * hd + i] = b;
          }
      kp.push_back(k[r].data()), vp.push_back(v[r].data());
      kp_ref.push_back(k_ref[r].data()), vp_ref.push_back(v_ref[r].data());
    }
    std::vector<float> out(q.size()), ref(q.size());
    ops().attention_cached_forward(out.data(), q.data(), kp.data(), vp.data(), lengths.data(), capacities.data(), rows,
                                   heads, kv_heads, hd);
    reference::attention_cached_forward(ref.data(), q.data(), kp_ref.data(), vp_ref.data(), lengths.data(), rows, heads,
                                        kv_heads, hd);
    for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], ref[i], 2e-6f) << "hd " << hd << " at " << i;
    // The first row sees one position: its output is that position's values, exactly.
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < hd; ++i) ASSERT_EQ(out[h * hd + i], v[0][((h / 3) * capacity) * hd + i]);
  }
}

}  // namespace
}  // namespace aha::backend::cpu
