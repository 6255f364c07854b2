#include "aha/backend/cpu/attention_cached.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "aha/backend/cpu/simd.hpp"
#include "aha/base/threads.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {
namespace {

// One query head over `len` cached positions: o (head_dim) = softmax(q·K/sqrt(d)) · V.
void attend(float* o, const float* qv, const float* k, const float* v, int64_t len, int64_t head_dim, float scale,
            std::vector<float>& p) {
  p.resize(static_cast<size_t>(len));
  float top = -INFINITY;
  for (int64_t t = 0; t < len; ++t) {
    p[t] = simd::dot(qv, k + t * head_dim, head_dim) * scale;
    top = std::max(top, p[t]);
  }
  for (int64_t t = 0; t < len; ++t) p[t] = simd::exp_nonpositive(p[t] - top);
  float sum = 0.0f;
  for (int64_t t = 0; t < len; ++t) sum += p[t];
  const float inv_sum = 1.0f / sum;
  constexpr int64_t kMaxVectors = 16;
  if (head_dim % simd::kLanes == 0 && head_dim <= kMaxVectors * simd::kLanes) {
    // One pass over V: position after position, head_dim / 16 vector chains.
    const int64_t nv = head_dim / simd::kLanes;
    simd::F32x16 acc[kMaxVectors];
    for (int64_t j = 0; j < nv; ++j) acc[j] = simd::zero();
    for (int64_t t = 0; t < len; ++t) {
      const simd::F32x16 pt = simd::broadcast(p[t]);
      for (int64_t j = 0; j < nv; ++j) acc[j] = simd::fma(pt, simd::load(v + t * head_dim + j * simd::kLanes), acc[j]);
    }
    for (int64_t j = 0; j < nv; ++j) simd::store(o + j * simd::kLanes, acc[j]);
  } else {
    for (int64_t i = 0; i < head_dim; ++i) {
      float acc = 0.0f;
      for (int64_t t = 0; t < len; ++t) acc = std::fma(p[t], v[t * head_dim + i], acc);
      o[i] = acc;
    }
  }
  for (int64_t d = 0; d < head_dim; ++d) o[d] *= inv_sum;
}

}  // namespace

void attention_cached_forward(float* out, const float* q, const float* const* keys, const float* const* values,
                              const int64_t* lengths, const int64_t* capacities, int64_t rows, int64_t heads,
                              int64_t kv_heads, int64_t head_dim) {
  const int64_t group = heads / kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  parallel_for(static_cast<size_t>(rows * heads), [&](size_t begin, size_t end) {
    thread_local std::vector<float> p;
    for (size_t task = begin; task < end; ++task) {
      const int64_t r = static_cast<int64_t>(task) / heads, h = static_cast<int64_t>(task) % heads;
      const int64_t offset = (h / group) * capacities[r] * head_dim;
      attend(out + (r * heads + h) * head_dim, q + (r * heads + h) * head_dim, keys[r] + offset, values[r] + offset,
             lengths[r], head_dim, scale, p);
    }
  });
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
