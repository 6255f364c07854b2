#include "aha/tensor/attention_cached.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "aha/tensor/attention.hpp"

namespace aha::tensor {
namespace {

TEST(AttentionCached, prefill_rows_agree_with_causal_attention) {
  const int64_t rows = 6, heads = 6, kv_heads = 2, hd = 20, kv = kv_heads * hd;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<float> q(rows * heads * hd), k(rows * kv), v(rows * kv);
  for (auto* vec : {&q, &k, &v})
    for (float& x : *vec) x = normal(rng);
  std::vector<float> causal(q.size()), cached(q.size());
  attention_forward(causal.data(), q.data(), k.data(), v.data(), rows, 0, heads, kv_heads, hd);
  std::vector<const float*> keys(rows, k.data()), values(rows, v.data());
  std::vector<int64_t> lengths(rows);
  for (int64_t r = 0; r < rows; ++r) lengths[r] = r + 1;
  attention_cached_forward(cached.data(), q.data(), keys.data(), values.data(), lengths.data(), rows,
                           heads, kv_heads, hd);
  for (size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(cached[i], causal[i], 1e-5f);
}

}  // namespace
}  // namespace aha::tensor
