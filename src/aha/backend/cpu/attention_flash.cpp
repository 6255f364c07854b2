#include "aha/backend/cpu/attention_flash.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "aha/backend/cpu/simd.hpp"
#include "aha/backend/cpu/simd_math.hpp"
#include "aha/base/threads.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {
namespace {

using simd::F32x16;
using simd::kLanes;

int64_t round_up(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

// Per-thread scratch, grown on first use and kept: no allocation per call after the first.
std::vector<float>& scratch(int which, size_t n) {
  thread_local std::vector<float> buffers[7];
  std::vector<float>& b = buffers[which];
  if (b.size() < n) b.resize(n);
  return b;
}

// xt (head_dim, tp) = the transpose of rows x_t = x[t·stride ..], t < n, zero beyond n.
void transpose_rows(float* xt, const float* x, int64_t stride, int64_t n, int64_t tp, int64_t head_dim) {
  std::fill(xt, xt + head_dim * tp, 0.0f);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t d = 0; d < head_dim; ++d) xt[d * tp + t] = x[t * stride + d];
}

// s[t] = Σ_d x[d]·xt[d][t] for t < round_up(n): one fused multiply-add chain per t, d in order.
void row_dots(float* s, const float* x, const float* xt, int64_t tp, int64_t n, int64_t head_dim) {
  const int64_t blocks = round_up(n) / kLanes;
  int64_t b = 0;
  for (; b + 4 <= blocks; b += 4) {  // four independent chains hide the FMA latency
    F32x16 a0 = simd::zero(), a1 = simd::zero(), a2 = simd::zero(), a3 = simd::zero();
    const float* col = xt + b * kLanes;
    for (int64_t d = 0; d < head_dim; ++d, col += tp) {
      const F32x16 xd = simd::broadcast(x[d]);
      a0 = simd::fma(xd, simd::load(col), a0);
      a1 = simd::fma(xd, simd::load(col + kLanes), a1);
      a2 = simd::fma(xd, simd::load(col + 2 * kLanes), a2);
      a3 = simd::fma(xd, simd::load(col + 3 * kLanes), a3);
    }
    simd::store(s + b * kLanes, a0);
    simd::store(s + (b + 1) * kLanes, a1);
    simd::store(s + (b + 2) * kLanes, a2);
    simd::store(s + (b + 3) * kLanes, a3);
  }
  for (; b < blocks; ++b) {
    F32x16 a = simd::zero();
    const float* col = xt + b * kLanes;
    for (int64_t d = 0; d < head_dim; ++d, col += tp) a = simd::fma(simd::broadcast(x[d]), simd::load(col), a);
    simd::store(s + b * kLanes, a);
  }
}

// y[d] = Σ_(t < n) w[t]·x[t·stride + d]: even and odd t in two chains, then added.
void weighted_rows(float* y, const float* w, const float* x, int64_t stride, int64_t n, int64_t head_dim) {
  int64_t d = 0;
  for (; d + kLanes <= head_dim; d += kLanes) {
    F32x16 even = simd::zero(), odd = simd::zero();
    int64_t t = 0;
    for (; t + 2 <= n; t += 2) {
      even = simd::fma(simd::broadcast(w[t]), simd::load(x + t * stride + d), even);
      odd = simd::fma(simd::broadcast(w[t + 1]), simd::load(x + (t + 1) * stride + d), odd);
    }
    if (t < n) even = simd::fma(simd::broadcast(w[t]), simd::load(x + t * stride + d), even);
    simd::store(y + d, simd::add(even, odd));
  }
  for (; d < head_dim; ++d) {
    float acc = 0.0f;
    for (int64_t t = 0; t < n; ++t) acc = std::fma(w[t], x[t * stride + d], acc);
    y[d] = acc;
  }
}

// y[d] += a·x[d].
void axpy(float* y, float a, const float* x, int64_t n) {
  int64_t d = 0;
  const F32x16 av = simd::broadcast(a);
  for (; d + kLanes <= n; d += kLanes) simd::store(y + d, simd::fma(av, simd::load(x + d), simd::load(y + d)));
  for (; d < n; ++d) y[d] = std::fma(a, x[d], y[d]);
}

// s[t] = scale·s[t] for t <= last, -inf for the rest of last's block; returns the maximum.
float scale_and_mask(float* s, int64_t last, float scale) {
  const int64_t end = round_up(last + 1);
  for (int64_t t = last + 1; t < end; ++t) s[t] = -INFINITY;
  F32x16 m = simd::broadcast(-INFINITY);
  const F32x16 sv = simd::broadcast(scale);
  for (int64_t t = 0; t < end; t += kLanes) {
    const F32x16 x = simd::mul(simd::load(s + t), sv);
    simd::store(s + t, x);
    m = simd::maximum(m, x);
  }
  return simd::max_lane(m);
}

// p[t] = exp(s[t] - shift) over whole blocks up to round_up(n); returns Σ p.
float exp_shifted(float* p, const float* s, int64_t n, float shift) {
  F32x16 acc = simd::zero();
  const F32x16 sh = simd::broadcast(shift);
  for (int64_t t = 0; t < round_up(n); t += kLanes) {
    const F32x16 e = simd::exp(simd::sub(simd::load(s + t), sh));
    simd::store(p + t, e);
    acc = simd::add(acc, e);
  }
  return simd::sum(acc);
}

struct Shape {
  int64_t batch, seq, heads, kv_heads, head_dim;
  int64_t group() const { return heads / kv_heads; }
  int64_t q_stride() const { return heads * head_dim; }
  int64_t kv_stride() const { return kv_heads * head_dim; }
};

}  // namespace

void attention_flash_forward(float* out, float* lse, const float* q, const float* k, const float* v, int64_t batch,
                             int64_t seq, int64_t heads, int64_t kv_heads, int64_t head_dim) {
  const Shape sh{batch, seq, heads, kv_heads, head_dim};
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const int64_t tp = round_up(seq);
  parallel_for(static_cast<size_t>(batch * kv_heads), [&](size_t begin, size_t end) {
    float* kt = scratch(0, static_cast<size_t>(head_dim * tp)).data();
    float* s = scratch(1, static_cast<size_t>(tp)).data();
    for (size_t task = begin; task < end; ++task) {
      const int64_t b = static_cast<int64_t>(task) / kv_heads;
      const int64_t kvh = static_cast<int64_t>(task) % kv_heads;
      const int64_t base = b * seq;
      const float* vb = v + base * sh.kv_stride() + kvh * head_dim;
      transpose_rows(kt, k + base * sh.kv_stride() + kvh * head_dim, sh.kv_stride(), seq, tp, head_dim);
      for (int64_t h = kvh * sh.group(); h < (kvh + 1) * sh.group(); ++h)
        for (int64_t i = 0; i < seq; ++i) {
          const int64_t row = (base + i) * heads + h;
          row_dots(s, q + row * head_dim, kt, tp, i + 1, head_dim);
          const float max = scale_and_mask(s, i, scale);
          const float sum = exp_shifted(s, s, i + 1, max);
          const float inv_sum = 1.0f / sum;
          for (int64_t t = 0; t <= i; ++t) s[t] *= inv_sum;
          weighted_rows(out + row * head_dim, s, vb, sh.kv_stride(), i + 1, head_dim);
          lse[row] = max + std::log(sum);
        }
    }
  });
}

// With p = softmax(s), o = Σ_t p_t·v_t and dp_t = do·v_t: ds_t = p_t·(dp_t - do·o),
// dq = scale·Σ_t ds_t·k_t, dk_t += scale·ds_t·q, dv_t += p_t·do. A task owns one KV head of one
// sequence, so its dk and dv rows are summed by one thread: over the group's heads, then rows.
void attention_flash_backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                              const float* q, const float* k, const float* v, int64_t batch, int64_t seq, int64_t heads,
                              int64_t kv_heads, int64_t head_dim) {
  const Shape sh{batch, seq, heads, kv_heads, head_dim};
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const int64_t tp = round_up(seq);
  parallel_for(static_cast<size_t>(batch * kv_heads), [&](size_t begin, size_t end) {
    float* kt = scratch(0, static_cast<size_t>(head_dim * tp)).data();
    float* vt = scratch(2, static_cast<size_t>(head_dim * tp)).data();
    float* p = scratch(1, static_cast<size_t>(tp)).data();
    float* dp = scratch(3, static_cast<size_t>(tp)).data();
    float* dk_acc = scratch(4, static_cast<size_t>(seq * head_dim)).data();
    float* dv_acc = scratch(5, static_cast<size_t>(seq * head_dim)).data();
    float* dq_row = scratch(6, static_cast<size_t>(head_dim)).data();
    for (size_t task = begin; task < end; ++task) {
      const int64_t b = static_cast<int64_t>(task) / kv_heads;
      const int64_t kvh = static_cast<int64_t>(task) % kv_heads;
      const int64_t base = b * seq;
      const int64_t kv_off = base * sh.kv_stride() + kvh * head_dim;
      transpose_rows(kt, k + kv_off, sh.kv_stride(), seq, tp, head_dim);
      transpose_rows(vt, v + kv_off, sh.kv_stride(), seq, tp, head_dim);
      std::fill(dk_acc, dk_acc + seq * head_dim, 0.0f);
      std::fill(dv_acc, dv_acc + seq * head_dim, 0.0f);
      for (int64_t h = kvh * sh.group(); h < (kvh + 1) * sh.group(); ++h)
        for (int64_t i = 0; i < seq; ++i) {
          const int64_t row = (base + i) * heads + h;
          const float* qi = q + row * head_dim;
          const float* doi = dout + row * head_dim;
          row_dots(p, qi, kt, tp, i + 1, head_dim);
          scale_and_mask(p, i, scale);
          exp_shifted(p, p, i + 1, lse[row]);
          row_dots(dp, doi, vt, tp, i + 1, head_dim);
          const float delta = simd::dot(doi, out + row * head_dim, head_dim);
          for (int64_t t = 0; t <= i; ++t) dp[t] = p[t] * (dp[t] - delta) * scale;  // ds_t
          if (dq) {
            weighted_rows(dq_row, dp, k + kv_off, sh.kv_stride(), i + 1, head_dim);
            float* dqi = dq + row * head_dim;
            for (int64_t d = 0; d < head_dim; ++d) dqi[d] += dq_row[d];
          }
          for (int64_t t = 0; t <= i; ++t) {
            axpy(dk_acc + t * head_dim, dp[t], qi, head_dim);
            axpy(dv_acc + t * head_dim, p[t], doi, head_dim);
          }
        }
      for (int64_t t = 0; t < seq; ++t) {
        const int64_t o = kv_off + t * sh.kv_stride();
        for (int64_t d = 0; d < head_dim; ++d) {
          if (dk) dk[o + d] += dk_acc[t * head_dim + d];
          if (dv) dv[o + d] += dv_acc[t * head_dim + d];
        }
      }
    }
  });
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
