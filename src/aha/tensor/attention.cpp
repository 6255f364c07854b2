#include "aha/tensor/attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "aha/base/threads.hpp"

namespace aha::tensor {

void attention_forward(float* out, const float* q, const float* k, const float* v, int64_t rows,
                       int64_t past, int64_t heads, int64_t kv_heads, int64_t head_dim) {
  const int64_t group = heads / kv_heads;
  const int64_t kv_stride = kv_heads * head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  parallel_for(static_cast<size_t>(rows * heads), [&](size_t begin, size_t end) {
    std::vector<float> scores(static_cast<size_t>(past + rows));
    for (size_t task = begin; task < end; ++task) {
      const int64_t r = static_cast<int64_t>(task) / heads, h = static_cast<int64_t>(task) % heads;
      const int64_t kvh = h / group;
      const int64_t len = past + r + 1;
      const float* qv = q + (r * heads + h) * head_dim;
      float max_score = -INFINITY;
      for (int64_t t = 0; t < len; ++t) {
        const float* kv = k + t * kv_stride + kvh * head_dim;
        float s = 0.0f;
        for (int64_t i = 0; i < head_dim; ++i) s += qv[i] * kv[i];
        scores[t] = s * scale;
        max_score = std::max(max_score, scores[t]);
      }
      float sum = 0.0f;
      for (int64_t t = 0; t < len; ++t) {
        scores[t] = std::exp(scores[t] - max_score);
        sum += scores[t];
      }
      float* o = out + (r * heads + h) * head_dim;
      for (int64_t i = 0; i < head_dim; ++i) o[i] = 0.0f;
      for (int64_t t = 0; t < len; ++t) {
        const float p = scores[t] / sum;
        const float* vv = v + t * kv_stride + kvh * head_dim;
        for (int64_t i = 0; i < head_dim; ++i) o[i] += p * vv[i];
      }
    }
  });
}

}  // namespace aha::tensor
