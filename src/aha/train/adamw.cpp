#include "aha/train/adamw.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "aha/backend/ops.hpp"
#include "aha/base/error.hpp"
#include "aha/base/threads.hpp"

namespace aha::train {

AdamW::AdamW(const std::vector<int64_t>& sizes) {
  for (int64_t n : sizes) {
    exp_avg_.emplace_back(static_cast<size_t>(n), 0.0f);
    exp_avg_sq_.emplace_back(static_cast<size_t>(n), 0.0f);
  }
}

// torch.optim.AdamW (single-tensor, no amsgrad): p *= 1 - lr·wd; m = β1·m + (1-β1)·g;
// v = β2·v + (1-β2)·g²; p -= lr / (1-β1^t) · m / (sqrt(v) / sqrt(1-β2^t) + eps).
void AdamW::step(std::span<const ParamSlot> params, const AdamWOptions& o) {
  if (params.size() != exp_avg_.size())
    fail_internal("AdamW::step: parameter count differs from the one it was built for");
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].values.size() != exp_avg_[i].size() || params[i].grads.size() != exp_avg_[i].size())
      fail_internal("AdamW::step: a parameter's size differs from the one it was built for");
  ++steps_;
  const double t = static_cast<double>(steps_);
  const float beta1 = static_cast<float>(o.adam_beta1), beta2 = static_cast<float>(o.adam_beta2);
  const float step_size = static_cast<float>(o.learning_rate / (1.0 - std::pow(o.adam_beta1, t)));
  const float bias2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(o.adam_beta2, t)));
  const float eps = static_cast<float>(o.adam_epsilon);
  for (size_t i = 0; i < params.size(); ++i) {
    const ParamSlot& p = params[i];
    const float decay = p.decay ? static_cast<float>(1.0 - o.learning_rate * o.weight_decay) : 1.0f;
    backend::ops().adamw_update(p.values.data(), exp_avg_[i].data(), exp_avg_sq_[i].data(), p.grads.data(),
                                static_cast<int64_t>(p.values.size()),
                                {beta1, beta2, step_size, bias2_sqrt, eps, decay});
  }
}

// The sum of squares runs over fixed chunks of kNormChunk elements (each summed in order, in
// double), and the chunks' sums are added in order: the same for every thread count.
double clip_grad_norm(std::span<const std::span<float>> grads, double max_norm) {
  constexpr size_t kNormChunk = 1 << 16;
  std::vector<std::pair<size_t, size_t>> chunks;  // (tensor, first element)
  for (size_t t = 0; t < grads.size(); ++t)
    for (size_t j = 0; j < grads[t].size(); j += kNormChunk) chunks.emplace_back(t, j);
  std::vector<double> partial(chunks.size());
  parallel_for(chunks.size(), [&](size_t begin, size_t end) {
    for (size_t c = begin; c < end; ++c) {
      const std::span<float> g = grads[chunks[c].first];
      double sum = 0.0;
      for (size_t j = chunks[c].second; j < std::min(g.size(), chunks[c].second + kNormChunk); ++j)
        sum += static_cast<double>(g[j]) * g[j];
      partial[c] = sum;
    }
  });
  double sum_sq = 0.0;
  for (double p : partial) sum_sq += p;
  const double norm = std::sqrt(sum_sq);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0)
    parallel_for(chunks.size(), [&](size_t begin, size_t end) {
      for (size_t c = begin; c < end; ++c) {
        const std::span<float> g = grads[chunks[c].first];
        for (size_t j = chunks[c].second; j < std::min(g.size(), chunks[c].second + kNormChunk); ++j)
          g[j] = static_cast<float>(g[j] * coef);
      }
    });
  return norm;
}

}  // namespace aha::train
