#include "aha/backend/cpu/cross_entropy.hpp"

#include <algorithm>
#include <cmath>

#include "aha/backend/cpu/simd.hpp"
#include "aha/backend/cpu/simd_math.hpp"
#include "aha/base/threads.hpp"

AHA_CPU_TARGET_BEGIN
namespace aha::backend::cpu::AHA_CPU_LEVEL_NS {
namespace {

using simd::F32x16;
using simd::kLanes;

// max and Σ exp(x - max) of one row of logits. Sixteen float lanes sum blocks of kBlock
// elements, and each block's lanes are added to a double, in order: a vocabulary of any size
// keeps the float sums short.
struct LogSumExp {
  float max;
  double sum;
};

constexpr int64_t kBlock = 1024;

float row_max(const float* x, int64_t n) {
  F32x16 m = simd::broadcast(-INFINITY);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) m = simd::maximum(m, simd::load(x + i));
  float max = simd::max_lane(m);
  for (; i < n; ++i) max = std::max(max, x[i]);
  return max;
}

LogSumExp log_sum_exp(const float* x, int64_t n) {
  const float max = row_max(x, n);
  const F32x16 shift = simd::broadcast(max);
  double sum = 0.0;
  int64_t i = 0;
  while (i + kLanes <= n) {
    F32x16 acc = simd::zero();
    const int64_t end = std::min(n, i + kBlock);
    for (; i + kLanes <= end; i += kLanes) acc = simd::add(acc, simd::exp(simd::sub(simd::load(x + i), shift)));
    sum += simd::sum(acc);
  }
  for (; i < n; ++i) sum += simd::exp_scalar(x[i] - max);
  return {max, sum};
}

// log_sum_exp, and Σ exp(x - max)·(x - max) in `weighted`, summed the same way.
LogSumExp log_sum_exp_weighted(const float* x, int64_t n, double& weighted) {
  const float max = row_max(x, n);
  const F32x16 shift = simd::broadcast(max);
  double sum = 0.0;
  weighted = 0.0;
  int64_t i = 0;
  while (i + kLanes <= n) {
    F32x16 acc = simd::zero(), acc_w = simd::zero();
    const int64_t end = std::min(n, i + kBlock);
    for (; i + kLanes <= end; i += kLanes) {
      const F32x16 shifted = simd::sub(simd::load(x + i), shift), e = simd::exp(shifted);
      acc = simd::add(acc, e);
      acc_w = simd::fma(e, shifted, acc_w);
    }
    sum += simd::sum(acc);
    weighted += simd::sum(acc_w);
  }
  for (; i < n; ++i) {
    const float e = simd::exp_scalar(x[i] - max);
    sum += e;
    weighted += static_cast<double>(e) * (x[i] - max);
  }
  return {max, sum};
}

float row_loss(const float* x, int32_t target, const LogSumExp& lse) {
  return static_cast<float>(std::log(lse.sum) + lse.max - x[target]);
}

// dx = scale · exp(x - max) over the row (dx may be x); the target's -dloss is the caller's.
void scaled_softmax(float* dx, const float* x, int64_t n, float max, float scale) {
  const F32x16 shift = simd::broadcast(max), s = simd::broadcast(scale);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    simd::store(dx + i, simd::mul(s, simd::exp(simd::sub(simd::load(x + i), shift))));
  for (; i < n; ++i) dx[i] = scale * simd::exp_scalar(x[i] - max);
}

}  // namespace

void cross_entropy_forward(float* losses, const float* logits, const int32_t* targets, int64_t rows, int64_t vocab) {
  parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* x = logits + static_cast<int64_t>(r) * vocab;
      losses[r] = targets[r] < 0 ? 0.0f : row_loss(x, targets[r], log_sum_exp(x, vocab));
    }
  });
}

void cross_entropy_and_entropy(float* losses, float* entropies, const float* logits, const int32_t* targets,
                               int64_t rows, int64_t vocab) {
  parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* x = logits + static_cast<int64_t>(r) * vocab;
      if (targets[r] < 0) {
        losses[r] = entropies[r] = 0.0f;
        continue;
      }
      // H = log Σ e^(x−m) − Σ e^(x−m)·(x−m) / Σ e^(x−m), shift-invariant.
      double weighted = 0.0;
      const LogSumExp lse = log_sum_exp_weighted(x, vocab, weighted);
      losses[r] = row_loss(x, targets[r], lse);
      entropies[r] = static_cast<float>(std::log(lse.sum) - weighted / lse.sum);
    }
  });
}

void cross_entropy_backward(float* dlogits, const float* dlosses, const float* logits, const int32_t* targets,
                            int64_t rows, int64_t vocab) {
  parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      if (targets[r] < 0 || dlosses[r] == 0.0f) continue;
      const float* x = logits + static_cast<int64_t>(r) * vocab;
      float* dx = dlogits + static_cast<int64_t>(r) * vocab;
      const LogSumExp lse = log_sum_exp(x, vocab);
      const float scale = dlosses[r] * static_cast<float>(1.0 / lse.sum);
      const F32x16 shift = simd::broadcast(lse.max), s = simd::broadcast(scale);
      int64_t i = 0;
      for (; i + kLanes <= vocab; i += kLanes)
        simd::store(dx + i, simd::fma(s, simd::exp(simd::sub(simd::load(x + i), shift)), simd::load(dx + i)));
      for (; i < vocab; ++i) dx[i] = std::fma(scale, simd::exp_scalar(x[i] - lse.max), dx[i]);
      dx[targets[r]] -= dlosses[r];
    }
  });
}

void cross_entropy_fused(float* losses, float* logits, const float* dlosses, const int32_t* targets, int64_t rows,
                         int64_t vocab) {
  parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      float* x = logits + static_cast<int64_t>(r) * vocab;
      if (targets[r] < 0) {
        losses[r] = 0.0f;
        std::fill(x, x + vocab, 0.0f);
        continue;
      }
      const LogSumExp lse = log_sum_exp(x, vocab);
      losses[r] = row_loss(x, targets[r], lse);
      scaled_softmax(x, x, vocab, lse.max, dlosses[r] * static_cast<float>(1.0 / lse.sum));
      x[targets[r]] -= dlosses[r];
    }
  });
}

}  // namespace aha::backend::cpu::AHA_CPU_LEVEL_NS
AHA_CPU_TARGET_END
