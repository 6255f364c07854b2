#include "aha/backend/cpu/reference/attention_reference.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "aha/backend/cpu/reference/attention_cached_reference.hpp"
#include "aha/base/threads.hpp"

namespace aha::backend::cpu::reference {
namespace {

float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// The softmax of one query row over its keys: p_t = exp(score_t - max) / sum.
struct SoftmaxRow {
  float max = -INFINITY;
  float sum = 0.0f;
  float delta = 0.0f;  // Σ_t p_t · (dout · v_t), backward only
};

}  // namespace

void attention_forward(float* out, const float* q, const float* k, const float* v, int64_t rows, int64_t past,
                       int64_t heads, int64_t kv_heads, int64_t head_dim) {
  // Causal attention is cached attention where row r sees the first past + r + 1 positions.
  std::vector<const float*> keys(static_cast<size_t>(rows), k), values(static_cast<size_t>(rows), v);
  std::vector<int64_t> lengths(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) lengths[r] = past + r + 1;
  attention_cached_forward(out, q, keys.data(), values.data(), lengths.data(), rows, heads, kv_heads, head_dim);
}

// With s_t = scale·q·k_t, p = softmax(s), out = Σ_t p_t·v_t and dp_t = dout·v_t:
// ds_t = p_t·(dp_t - Σ_u p_u·dp_u), dq = scale·Σ_t ds_t·k_t, dk_t = scale·Σ_(r,h) ds_t·q,
// dv_t = Σ_(r,h) p_t·dout. Pass 1 runs over query rows (dq and the softmax statistics); pass 2
// over key positions (dk, dv), so that each output element is summed by one thread in order.
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                        const float* v, int64_t rows, int64_t past, int64_t heads, int64_t kv_heads, int64_t head_dim) {
  const int64_t group = heads / kv_heads;
  const int64_t kv_stride = kv_heads * head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  std::vector<SoftmaxRow> stats(static_cast<size_t>(rows * heads));
  parallel_for(static_cast<size_t>(rows * heads), [&](size_t begin, size_t end) {
    std::vector<float> p(static_cast<size_t>(past + rows)), dp(p.size());
    for (size_t task = begin; task < end; ++task) {
      const int64_t r = static_cast<int64_t>(task) / heads, h = static_cast<int64_t>(task) % heads;
      const int64_t kvh = h / group, len = past + r + 1;
      const float* qv = q + (r * heads + h) * head_dim;
      const float* dov = dout + (r * heads + h) * head_dim;
      SoftmaxRow& st = stats[task];
      for (int64_t t = 0; t < len; ++t) {
        p[t] = dot(qv, k + t * kv_stride + kvh * head_dim, head_dim) * scale;
        st.max = std::max(st.max, p[t]);
      }
      for (int64_t t = 0; t < len; ++t) {
        p[t] = std::exp(p[t] - st.max);
        st.sum += p[t];
      }
      for (int64_t t = 0; t < len; ++t) {
        p[t] /= st.sum;
        dp[t] = dot(dov, v + t * kv_stride + kvh * head_dim, head_dim);
        st.delta += p[t] * dp[t];
      }
      if (!dq) continue;
      float* dqv = dq + (r * heads + h) * head_dim;
      for (int64_t t = 0; t < len; ++t) {
        const float ds = p[t] * (dp[t] - st.delta) * scale;
        const float* kv = k + t * kv_stride + kvh * head_dim;
        for (int64_t i = 0; i < head_dim; ++i) dqv[i] += ds * kv[i];
      }
    }
  });
  if (!dk && !dv) return;
  const int64_t ctx = past + rows;
  parallel_for(static_cast<size_t>(ctx * kv_heads), [&](size_t begin, size_t end) {
    for (size_t task = begin; task < end; ++task) {
      const int64_t t = static_cast<int64_t>(task) / kv_heads;
      const int64_t kvh = static_cast<int64_t>(task) % kv_heads;
      const float* kv = k + t * kv_stride + kvh * head_dim;
      const float* vv = v + t * kv_stride + kvh * head_dim;
      float* dkv = dk ? dk + t * kv_stride + kvh * head_dim : nullptr;
      float* dvv = dv ? dv + t * kv_stride + kvh * head_dim : nullptr;
      // Key t is seen by the query rows at positions past + r >= t.
      for (int64_t r = std::max<int64_t>(0, t - past); r < rows; ++r)
        for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
          const SoftmaxRow& st = stats[static_cast<size_t>(r * heads + h)];
          const float* qv = q + (r * heads + h) * head_dim;
          const float* dov = dout + (r * heads + h) * head_dim;
          const float p = std::exp(dot(qv, kv, head_dim) * scale - st.max) / st.sum;
          if (dvv)
            for (int64_t i = 0; i < head_dim; ++i) dvv[i] += p * dov[i];
          if (!dkv) continue;
          const float ds = p * (dot(dov, vv, head_dim) - st.delta) * scale;
          for (int64_t i = 0; i < head_dim; ++i) dkv[i] += ds * qv[i];
        }
    }
  });
}

}  // namespace aha::backend::cpu::reference
