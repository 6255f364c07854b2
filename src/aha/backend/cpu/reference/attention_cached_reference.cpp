#include "aha/backend/cpu/reference/attention_cached_reference.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "aha/backend/cpu/simd.hpp"
#include "aha/base/threads.hpp"

namespace aha::backend::cpu::reference {

void attention_cached_forward(float* out, const float* q, const float* const* keys, const float* const* values,
                              const int64_t* lengths, int64_t rows, int64_t heads, int64_t kv_heads, int64_t head_dim) {
  const int64_t group = heads / kv_heads, stride = kv_heads * head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  if (rows <= 0) return;
  const int64_t longest = *std::max_element(lengths, lengths + rows);
  parallel_for(static_cast<size_t>(rows * heads), [&](size_t begin, size_t end) {
    std::vector<float> scores(static_cast<size_t>(longest));
    for (size_t task = begin; task < end; ++task) {
      const int64_t r = static_cast<int64_t>(task) / heads, h = static_cast<int64_t>(task) % heads;
      const int64_t len = lengths[r], offset = (h / group) * head_dim;
      const float* qv = q + (r * heads + h) * head_dim;
      float max_score = -INFINITY;
      for (int64_t t = 0; t < len; ++t) {
        scores[t] = simd::dot(qv, keys[r] + t * stride + offset, head_dim) * scale;
        max_score = std::max(max_score, scores[t]);
      }
      float sum = 0.0f;
      for (int64_t t = 0; t < len; ++t) {
        scores[t] = std::exp(scores[t] - max_score);
        sum += scores[t];
      }
      float* o = out + (r * heads + h) * head_dim;
      std::fill(o, o + head_dim, 0.0f);
      const float inv_sum = 1.0f / sum;
      for (int64_t t = 0; t < len; ++t) {
        const float p = scores[t] * inv_sum;
        const float* vv = values[r] + t * stride + offset;
        for (int64_t i = 0; i < head_dim; ++i) o[i] += p * vv[i];
      }
    }
  });
}

}  // namespace aha::backend::cpu::reference
