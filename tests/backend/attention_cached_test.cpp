#include "aha/backend/cpu/reference/attention_cached_reference.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "aha/backend/cpu/reference/attention_reference.hpp"

namespace aha::backend::cpu {
namespace {

// Plain double-precision causal GQA attention: the reference both attention kernels must match.
std::vector<double> reference(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                              int64_t rows, int64_t heads, int64_t kv_heads, int64_t hd) {
  std::vector<double> out(q.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t kvh = h / (heads / kv_heads);
      std::vector<double> p(r + 1);
      double max = -1e300, sum = 0;
      for (int64_t t = 0; t <= r; ++t) {
        double s = 0;
        for (int64_t i = 0; i < hd; ++i) s += double(q[(r * heads + h) * hd + i]) * k[(t * kv_heads + kvh) * hd + i];
        p[t] = s / std::sqrt(double(hd));
        max = std::max(max, p[t]);
      }
      for (double& x : p) sum += x = std::exp(x - max);
      for (int64_t t = 0; t <= r; ++t)
        for (int64_t i = 0; i < hd; ++i) out[(r * heads + h) * hd + i] += p[t] / sum * v[(t * kv_heads + kvh) * hd + i];
    }
  return out;
}

TEST(AttentionCached, causal_and_per_row_cached_attention_match_a_double_reference) {
  const int64_t rows = 6, heads = 6, kv_heads = 2, hd = 20, kv = kv_heads * hd;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<float> q(rows * heads * hd), k(rows * kv), v(rows * kv);
  for (auto* vec : {&q, &k, &v})
    for (float& x : *vec) x = normal(rng);
  const std::vector<double> ref = reference(q, k, v, rows, heads, kv_heads, hd);
  std::vector<float> causal(q.size()), cached(q.size());
  reference::attention_forward(causal.data(), q.data(), k.data(), v.data(), rows, 0, heads, kv_heads, hd);
  // Cached: each row through its own copy of the cache, as batched decode does.
  std::vector<std::vector<float>> ks(rows, k), vs(rows, v);
  std::vector<const float*> keys, values;
  std::vector<int64_t> lengths;
  for (int64_t r = 0; r < rows; ++r) {
    keys.push_back(ks[r].data());
    values.push_back(vs[r].data());
    lengths.push_back(r + 1);
  }
  reference::attention_cached_forward(cached.data(), q.data(), keys.data(), values.data(), lengths.data(), rows, heads,
                                      kv_heads, hd);
  for (size_t i = 0; i < q.size(); ++i) {
    EXPECT_NEAR(causal[i], ref[i], 1e-5);
    EXPECT_NEAR(cached[i], ref[i], 1e-5);
  }
}

}  // namespace
}  // namespace aha::backend::cpu
