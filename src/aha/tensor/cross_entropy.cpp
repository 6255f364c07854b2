#include "aha/tensor/cross_entropy.hpp"

#include <algorithm>
#include <cmath>

#include "aha/base/threads.hpp"

namespace aha::tensor {
namespace {

// max and Σ exp(x - max) of one row of logits; the sum in double for large vocabularies.
struct LogSumExp {
  float max;
  double sum;
};

LogSumExp log_sum_exp(const float* x, int64_t n) {
  float max = -INFINITY;
  for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - max);
  return {max, sum};
}

}  // namespace

void cross_entropy_forward(float* losses, const float* logits, const int32_t* targets, int64_t rows,
                           int64_t vocab) {
  parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      if (targets[r] < 0) {
        losses[r] = 0.0f;
        continue;
      }
      const float* x = logits + static_cast<int64_t>(r) * vocab;
      const LogSumExp lse = log_sum_exp(x, vocab);
      losses[r] = static_cast<float>(std::log(lse.sum) + lse.max - x[targets[r]]);
    }
  });
}

void cross_entropy_backward(float* dlogits, const float* dlosses, const float* logits,
                            const int32_t* targets, int64_t rows, int64_t vocab) {
  parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      if (targets[r] < 0 || dlosses[r] == 0.0f) continue;
      const float* x = logits + static_cast<int64_t>(r) * vocab;
      float* dx = dlogits + static_cast<int64_t>(r) * vocab;
      const LogSumExp lse = log_sum_exp(x, vocab);
      const float inv_sum = static_cast<float>(1.0 / lse.sum);
      for (int64_t i = 0; i < vocab; ++i) dx[i] += dlosses[r] * std::exp(x[i] - lse.max) * inv_sum;
      dx[targets[r]] -= dlosses[r];
    }
  });
}

}  // namespace aha::tensor
