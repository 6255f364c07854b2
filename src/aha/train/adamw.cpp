#include "aha/train/adamw.hpp"

#include <cmath>

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
    if (params[i].values.size() != exp_avg_[i].size() ||
        params[i].grads.size() != exp_avg_[i].size())
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
    float* m = exp_avg_[i].data();
    float* v = exp_avg_sq_[i].data();
    parallel_for(p.values.size(), [&](size_t begin, size_t end) {
      for (size_t j = begin; j < end; ++j) {
        const float g = p.grads[j];
        m[j] += (g - m[j]) * (1.0f - beta1);
        v[j] = v[j] * beta2 + (1.0f - beta2) * g * g;
        p.values[j] =
            p.values[j] * decay - step_size * (m[j] / (std::sqrt(v[j]) / bias2_sqrt + eps));
      }
    });
  }
}

double clip_grad_norm(std::span<const std::span<float>> grads, double max_norm) {
  double sum_sq = 0.0;
  for (std::span<float> g : grads)
    for (float x : g) sum_sq += static_cast<double>(x) * x;
  const double norm = std::sqrt(sum_sq);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0)
    for (std::span<float> g : grads)
      for (float& x : g) x = static_cast<float>(x * coef);
  return norm;
}

}  // namespace aha::train
