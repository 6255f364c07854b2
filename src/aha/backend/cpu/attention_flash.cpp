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

// Query rows of the backward pass taken together: their dot products share each load of kᵀ and
// vᵀ, their dq sums each load of k, their dk and dv updates one load and store.
constexpr int64_t kQueryBlock = 4;  // the unrolled loops below hold 4

// row_dots of the block's rows x_r into s_r, t < round_up(n): each s_r[t] the same chain.
void block_row_dots(float* const* s, const float* const* x, int64_t rows, const float* xt, int64_t tp, int64_t n,
                    int64_t head_dim) {
  if (rows != kQueryBlock) {
    for (int64_t r = 0; r < rows; ++r) row_dots(s[r], x[r], xt, tp, n, head_dim);
    return;
  }
  const int64_t blocks = round_up(n) / kLanes;
  for (int64_t b = 0; b < blocks; b += 2) {  // two vectors of t; the second past `blocks` is padding, not stored
    F32x16 a[kQueryBlock][2];
    for (auto& row : a) row[0] = row[1] = simd::zero();
    const float* col = xt + b * kLanes;
    const bool two = b + 1 < blocks;
    for (int64_t d = 0; d < head_dim; ++d, col += tp) {
      const F32x16 c0 = simd::load(col), c1 = two ? simd::load(col + kLanes) : simd::zero();
      for (int64_t r = 0; r < kQueryBlock; ++r) {
        const F32x16 xd = simd::broadcast(x[r][d]);
        a[r][0] = simd::fma(xd, c0, a[r][0]);
        a[r][1] = simd::fma(xd, c1, a[r][1]);
      }
    }
    for (int64_t r = 0; r < kQueryBlock; ++r) {
      simd::store(s[r] + b * kLanes, a[r][0]);
      if (two) simd::store(s[r] + (b + 1) * kLanes, a[r][1]);
    }
  }
}

// weighted_rows of the block's rows: y_r = Σ_(t <= first + r) w_r[t]·x_t, each the same even
// and odd chains as weighted_rows, the rows sharing each load of x while all of them run.
void block_weighted_rows(float* const* y, const float* const* w, int64_t first, int64_t rows, const float* x,
                         int64_t stride, int64_t head_dim) {
  if (rows != kQueryBlock || head_dim % kLanes != 0) {
    for (int64_t r = 0; r < rows; ++r) weighted_rows(y[r], w[r], x, stride, first + r + 1, head_dim);
    return;
  }
  for (int64_t d = 0; d < head_dim; d += kLanes) {
    F32x16 even[kQueryBlock], odd[kQueryBlock];
    for (int64_t r = 0; r < kQueryBlock; ++r) even[r] = odd[r] = simd::zero();
    int64_t t = 0;
    for (; t + 2 <= first + 1; t += 2) {  // every row has t and t + 1
      const F32x16 x0 = simd::load(x + t * stride + d), x1 = simd::load(x + (t + 1) * stride + d);
      for (int64_t r = 0; r < kQueryBlock; ++r) {
        even[r] = simd::fma(simd::broadcast(w[r][t]), x0, even[r]);
        odd[r] = simd::fma(simd::broadcast(w[r][t + 1]), x1, odd[r]);
      }
    }
    for (int64_t r = 0; r < kQueryBlock; ++r) {  // each row's own end, as weighted_rows ends it
      const int64_t n = first + r + 1;
      int64_t u = t;
      for (; u + 2 <= n; u += 2) {
        even[r] = simd::fma(simd::broadcast(w[r][u]), simd::load(x + u * stride + d), even[r]);
        odd[r] = simd::fma(simd::broadcast(w[r][u + 1]), simd::load(x + (u + 1) * stride + d), odd[r]);
      }
      if (u < n) even[r] = simd::fma(simd::broadcast(w[r][u]), simd::load(x + u * stride + d), even[r]);
      simd::store(y[r] + d, simd::add(even[r], odd[r]));
    }
  }
}

// y_t (n values, rows n apart) += Σ_r a_r[t]·x_r for t < first + rows, over the block's rows r
// with t <= first + r, in the order of r: the same fused multiply-adds in the same order as one
// row at a time, with one load and store of y_t per block and x_r held in registers.
void add_block(float* y, int64_t first, const float* const* a, const float* const* x, int64_t rows, int64_t n) {
  int64_t d = 0;
  for (; d + kLanes <= n; d += kLanes) {
    F32x16 xv[kQueryBlock];
    for (int64_t r = 0; r < rows; ++r) xv[r] = simd::load(x[r] + d);
    int64_t t = 0;
    if (rows == kQueryBlock)  // every row of the block reaches t <= first
      for (; t <= first; ++t) {
        F32x16 acc = simd::load(y + t * n + d);
        acc = simd::fma(simd::broadcast(a[0][t]), xv[0], acc);
        acc = simd::fma(simd::broadcast(a[1][t]), xv[1], acc);
        acc = simd::fma(simd::broadcast(a[2][t]), xv[2], acc);
        acc = simd::fma(simd::broadcast(a[3][t]), xv[3], acc);
        simd::store(y + t * n + d, acc);
      }
    for (; t < first + rows; ++t) {
      F32x16 acc = simd::load(y + t * n + d);
      for (int64_t r = std::max<int64_t>(0, t - first); r < rows; ++r)
        acc = simd::fma(simd::broadcast(a[r][t]), xv[r], acc);
      simd::store(y + t * n + d, acc);
    }
  }
  for (; d < n; ++d)
    for (int64_t t = 0; t < first + rows; ++t)
      for (int64_t r = std::max<int64_t>(0, t - first); r < rows; ++r)
        y[t * n + d] = std::fma(a[r][t], x[r][d], y[t * n + d]);
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
    float* s = scratch(1, static_cast<size_t>(kQueryBlock * tp)).data();  // p of the block's rows
    for (size_t task = begin; task < end; ++task) {
      const int64_t b = static_cast<int64_t>(task) / kv_heads;
      const int64_t kvh = static_cast<int64_t>(task) % kv_heads;
      const int64_t base = b * seq;
      const float* vb = v + base * sh.kv_stride() + kvh * head_dim;
      transpose_rows(kt, k + base * sh.kv_stride() + kvh * head_dim, sh.kv_stride(), seq, tp, head_dim);
      for (int64_t h = kvh * sh.group(); h < (kvh + 1) * sh.group(); ++h)
        for (int64_t i0 = 0; i0 < seq; i0 += kQueryBlock) {
          const int64_t rows = std::min(kQueryBlock, seq - i0);
          const float* qs[kQueryBlock];
          float *ps[kQueryBlock], *outs[kQueryBlock];
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t row = (base + i0 + r) * heads + h;
            qs[r] = q + row * head_dim, outs[r] = out + row * head_dim, ps[r] = s + r * tp;
          }
          block_row_dots(ps, qs, rows, kt, tp, i0 + rows, head_dim);
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t i = i0 + r;
            const float max = scale_and_mask(ps[r], i, scale);
            const float sum = exp_shifted(ps[r], ps[r], i + 1, max);
            const float inv_sum = 1.0f / sum;
            for (int64_t t = 0; t <= i; ++t) ps[r][t] *= inv_sum;
            lse[(base + i) * heads + h] = max + std::log(sum);
          }
          block_weighted_rows(outs, ps, i0, rows, vb, sh.kv_stride(), head_dim);
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
    float* p = scratch(1, static_cast<size_t>(kQueryBlock * tp)).data();   // p of the block's rows
    float* dp = scratch(3, static_cast<size_t>(kQueryBlock * tp)).data();  // their dp, then ds
    float* dk_acc = scratch(4, static_cast<size_t>(seq * head_dim)).data();
    float* dv_acc = scratch(5, static_cast<size_t>(seq * head_dim)).data();
    float* dq_row = scratch(6, static_cast<size_t>(kQueryBlock * head_dim)).data();
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
        for (int64_t i0 = 0; i0 < seq; i0 += kQueryBlock) {
          const int64_t rows = std::min(kQueryBlock, seq - i0);
          const float *qs[kQueryBlock], *dos[kQueryBlock];
          float *ps[kQueryBlock], *dss[kQueryBlock], *dq_rows[kQueryBlock];
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t row = (base + i0 + r) * heads + h;
            qs[r] = q + row * head_dim, dos[r] = dout + row * head_dim;
            ps[r] = p + r * tp, dss[r] = dp + r * tp, dq_rows[r] = dq_row + r * head_dim;
          }
          block_row_dots(ps, qs, rows, kt, tp, i0 + rows, head_dim);
          block_row_dots(dss, dos, rows, vt, tp, i0 + rows, head_dim);
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t i = i0 + r, row = (base + i) * heads + h;
            float *pi = ps[r], *ds = dss[r];
            scale_and_mask(pi, i, scale);
            exp_shifted(pi, pi, i + 1, lse[row]);
            const float delta = simd::dot(dos[r], out + row * head_dim, head_dim);
            for (int64_t t = 0; t <= i; ++t) ds[t] = pi[t] * (ds[t] - delta) * scale;
          }
          if (dq) {
            block_weighted_rows(dq_rows, dss, i0, rows, k + kv_off, sh.kv_stride(), head_dim);
            for (int64_t r = 0; r < rows; ++r) {
              float* dqi = dq + ((base + i0 + r) * heads + h) * head_dim;
              for (int64_t d = 0; d < head_dim; ++d) dqi[d] += dq_rows[r][d];
            }
          }
          add_block(dk_acc, i0, dss, qs, rows, head_dim);
          add_block(dv_acc, i0, ps, dos, rows, head_dim);
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
